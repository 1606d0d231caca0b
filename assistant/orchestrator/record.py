"""Recording a turn in the store: each tool step as it runs, then the answer (however the
turn ended) with its timings, usage, cost and the code it was shown (its sources)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from assistant.events import MessageDoneEvent, Timings, ToolResultEvent, Usage
from providers.base import Finish, Provider, ToolCall

if TYPE_CHECKING:
    from assistant.orchestrator.budget import FittedPrompt
    from assistant.orchestrator.state import TurnState
    from assistant.store import Store


def provider_of(provider: Provider) -> str:
    """``"local"``, or the hosted ``[providers.NAME]`` answering now."""
    return provider.hosted_provider or "local"


def timings_of(
    start: float, end: float, first: float | None, decoded: int, since: float | None
) -> Timings:
    """Time to first text, the speed of ``decoded`` tokens made since ``since``, and the
    total (``perf_counter`` times)."""
    decode_s = end - since if since is not None else 0.0
    return Timings(
        ttft_ms=round((first - start) * 1000, 2) if first is not None else None,
        tokens_per_s=round((decoded - 1) / decode_s, 2) if decode_s > 0 and decoded > 1 else None,
        total_ms=round((end - start) * 1000, 2),
    )


def save_step(store: Store, session_id: str, call: ToolCall, result: ToolResultEvent) -> int:
    """One tool step (linked to its answer once the answer is saved)."""
    return store.add_tool_step(
        session_id, step=result.step, call_id=call.id, name=call.name,
        arguments=call.arguments, ok=result.ok, result=result.content,
        truncated=result.truncated, duration_ms=result.duration_ms,
    )


def save_turn(
    store: Store, provider: Provider, session_id: str, state: TurnState
) -> MessageDoneEvent:
    """The answer as the turn stands (complete, cancelled or failed), its tool steps linked."""
    done = save_answer(
        store, provider, session_id, state.answer_pieces(), state.status, state.finish(),
        state.fitted, state.start, state.first, state.rate(),
    )
    if state.loop is not None:
        store.link_tool_steps(state.loop.step_ids, done.message_id)
    return done


def save_answer(
    store: Store,
    provider: Provider,
    session_id: str,
    pieces: list[str],
    status: str,
    finish: Finish | None,
    fitted: FittedPrompt,
    start: float,
    first: float | None,
    rate: tuple[int, float] | None = None,
) -> MessageDoneEvent:
    """``rate``: (tokens, first-text time) of the last generation when a turn had several
    (tool steps); its speed is the answer's speed."""
    end = time.perf_counter()
    text = "".join(pieces)
    completion = finish.completion_tokens if finish else len(pieces)
    prompt_tokens = finish.prompt_tokens if finish else fitted.prompt_tokens
    decoded, since = rate if rate is not None else (completion, first)
    timings = timings_of(start, end, first, decoded, since)
    reason = "cancelled" if status == "cancelled" else (finish.reason if finish else None)
    model = provider.name
    cost = provider.cost(prompt_tokens, completion)
    message_id = store.add_message(
        session_id,
        "assistant",
        text,
        model=model,
        status=status,
        finish_reason=reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion,
        ttft_ms=timings.ttft_ms,
        tokens_per_s=timings.tokens_per_s,
        total_ms=timings.total_ms,
        provider=provider_of(provider),
        cost_usd=cost,
    )
    store.add_message_sources(session_id, message_id, fitted.sources)
    return MessageDoneEvent(
        message_id=message_id,
        session_id=session_id,
        model=model,
        content=text,
        status=status,  # type: ignore[arg-type]
        finish_reason=reason,
        usage=Usage(prompt_tokens, completion),
        timings=timings,
        provider=provider_of(provider),
        cost_usd=cost,
    )
