"""The orchestrator's helpers for pins and context reports (kept out of the turn loop).

* :func:`read_turn_pins`: the session's pins (and one turn's extra ones) read for a turn.
* :func:`report_for`: the :class:`~assistant.context_report.ContextReport` of a fitted prompt.
* :func:`save_report_later`: build that report after the answer and save it with the turn,
  in a background thread.
* :func:`preview`: what the next turn of a session would send (``/context``).
* :func:`add_pin`: check a new pin (guard, budget) and save it with the session.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.context_report import ContextReport, build_report
from assistant.pins import Pin, PinnedFile, apply_pins, check_new_pin, pin_budget, read_pins

if TYPE_CHECKING:
    from assistant.orchestrator import FittedPrompt, Orchestrator
    from providers.base import ChatMessage, ToolSpec


def _text_counter(orch: Orchestrator) -> Any:
    from assistant.retrieval import token_counter

    return token_counter(orch.provider.count_tokens)


def _budget(orch: Orchestrator) -> int:
    provider = orch.provider
    n_ctx = provider.context_size
    system: ChatMessage = {"role": "system", "content": orch.system_prompt()}
    return pin_budget(n_ctx, orch.reserve_tokens(n_ctx), provider.count_tokens([system]))


def session_pins(orch: Orchestrator, session_id: str | None) -> list[Pin]:
    if session_id is None:
        return []
    return [Pin(p, s, e) for p, s, e in orch.store.pins(session_id)]


def read_turn_pins(
    orch: Orchestrator, session_id: str, extra: Sequence[Pin] = ()
) -> tuple[list[PinnedFile], list[str]]:
    """The pins a turn sends (saved ones, then ``extra``), re-read now; and notices."""
    pins = session_pins(orch, session_id)
    pins += [p for p in extra if p not in pins]
    if not pins:
        return [], []
    return read_pins(orch.project_root, pins, _text_counter(orch), _budget(orch))


def add_pin(orch: Orchestrator, session_id: str | None, pin: Pin, existing: Sequence[Pin]) -> Pin:
    """Check ``pin`` (read_file's guard, the budget) and save it with the session (when it
    exists); returns the pin as saved. Raises PinError."""
    pinned = check_new_pin(orch.project_root, pin, existing, _text_counter(orch), _budget(orch))
    pins = [p for p in existing if p != pinned.pin] + [pinned.pin]
    if session_id is not None:
        orch.store.set_pins(session_id, [(p.path, p.start_line, p.end_line) for p in pins])
    return pinned.pin


def save_pins(orch: Orchestrator, session_id: str, pins: Sequence[Pin]) -> None:
    orch.store.set_pins(session_id, [(p.path, p.start_line, p.end_line) for p in pins])


def _counter(orch: Orchestrator) -> tuple[Any, bool]:
    """count(messages, tools) with the model's tokenizer (local), or the estimator."""
    from assistant.session_state import local_model

    local = local_model(orch.provider)
    if local is not None:
        return (lambda m, t: local.count_tokens(m, t)), False
    provider = orch.provider
    return (lambda m, t: provider.count_tokens(m) + orch.tools_tokens(t)), True


def report_for(
    orch: Orchestrator,
    history: list[ChatMessage],
    fitted: FittedPrompt,
    tools: tuple[ToolSpec, ...],
    title: str = "next turn",
) -> ContextReport:
    from assistant.orchestrator import provider_of

    count, estimated = _counter(orch)
    provider = orch.provider
    n_ctx = provider.context_size
    return build_report(
        count=count,
        system={"role": "system", "content": orch.system_prompt()},
        history=history, dropped=max(0, fitted.dropped), retrieved=fitted.retrieved,
        pinned=fitted.pinned, apply_pins=apply_pins, tail=fitted.tail, tools=tools,
        model=provider.name, provider=provider_of(provider), context_size=n_ctx,
        reserve=orch.reserve_tokens(n_ctx), estimated=estimated, title=title,
    )


def save_report_later(
    orch: Orchestrator,
    session_id: str,
    message_id: int,
    history: list[ChatMessage],
    fitted: FittedPrompt,
    tools: tuple[ToolSpec, ...],
) -> None:
    """Build the report of what this turn sent and save it with the answer (background)."""
    if fitted.dropped < 0 or not fitted.messages:
        return

    def job() -> None:
        import logging

        try:
            report = report_for(orch, history, fitted, tools, title="last turn, as sent")
            orch.store.add_turn_context(session_id, message_id, report.to_json())
        except Exception as exc:  # never fail a turn for its report
            logging.getLogger(__name__).warning("context report not saved: %s", exc)

    orch.after_turn.submit(job)


def last_report(orch: Orchestrator, session_id: str) -> ContextReport | None:
    """What the session's latest answered turn sent, as saved."""
    import json

    orch.after_turn.wait()
    found = orch.store.turn_context(session_id)
    if found is None:
        return None
    return ContextReport.from_dict(json.loads(found[1]))


def preview(
    orch: Orchestrator,
    session_id: str | None,
    question: str = "",
    *,
    tools: bool = True,
    pins: Sequence[Pin] = (),
) -> ContextReport:
    """What the next turn would send (``question`` as the latest message, when given)."""
    history = orch.history(session_id) if session_id else []
    history.append({"role": "user", "content": question})  # pins and chunks go before it
    all_pins = session_pins(orch, session_id) + [p for p in pins]
    pinned, _notes = read_pins(
        orch.project_root, list(dict.fromkeys(all_pins)), _text_counter(orch), _budget(orch)
    ) if all_pins else ([], [])
    loop = orch.tool_loop(threading.Event(), None) if tools else None
    specs = loop.specs if loop is not None else ()
    retrieved = None
    if question.strip():
        gen = orch.budget().retrieve(orch.retriever, orch.settings.index, history, specs, pinned)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            retrieved = stop.value
    fitted = orch.fit_prompt(history, retrieved, tools=specs, pinned=pinned)
    return report_for(orch, history, fitted, specs)
