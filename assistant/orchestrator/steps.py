"""A turn's generations: stream the model's answer; when it calls tools, run them through
the turn's :class:`~assistant.agent.ToolLoop`, send the results back and stream again, until
it answers in text, the loop stops it, or the user cancels.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace

from assistant.agent import ToolLoop, call_message, plain_steps, result_message
from assistant.events import Event, StatusEvent, ToolResultEvent
from assistant.orchestrator.budget import PromptBudget
from assistant.orchestrator.record import provider_of
from assistant.orchestrator.state import TurnState
from providers.base import Finish, Provider, ToolCall

RecordStep = Callable[[ToolCall, ToolResultEvent], int]
"""Saves a tool step; returns its id."""


def run_steps(
    provider: Provider,
    budget: PromptBudget,
    state: TurnState,
    cancel: threading.Event,
    record_step: RecordStep,
) -> Iterator[Event]:
    """Generate until the answer is text (``state`` holds how the turn stands)."""
    while True:
        text, calls = yield from stream_step(provider, state, cancel)
        if cancel.is_set() or not calls:
            return
        if state.loop is None:  # the model called a tool the turn did not offer
            state.fail(tool_call_error(provider, calls))
            return
        if not state.options.tools:  # the answer after the loop stopped: no more calls
            return
        yield from run_calls(state.loop, text, calls, state, cancel, record_step)
        if cancel.is_set():
            return
        if state.stopped:
            # One last answer from what the tools returned, with no tools offered
            # (the steps as plain turns, which every API and template accepts).
            yield StatusEvent(f"{state.stopped}; answering with the results so far")
            state.scratch[:] = plain_steps(state.scratch)
            state.options = replace(state.options, tools=())
        state.fitted = yield from budget.refit(
            state.history, state.retrieved, state.scratch, state.options.tools, state.pinned
        )
        if state.fitted.dropped < 0:
            state.stopped = "stopped: the tool results no longer fit the model's context"
            yield StatusEvent(state.stopped)
            return


def stream_step(
    provider: Provider, state: TurnState, cancel: threading.Event
) -> Generator[Event, None, tuple[str, list[ToolCall]]]:
    """One generation: its text as token events; returns that text and the tool calls made."""
    step_text: list[str] = []
    calls: list[ToolCall] = []
    state.new_step()
    for item in provider.stream(state.fitted.messages, state.options, cancel):
        notes = provider.take_notes()
        for note in notes:
            yield StatusEvent(note)
        if notes and provider.name != state.context.model:
            # A router moved the turn (the local model failed before its first token).
            state.context = replace(
                state.context, model=provider.name, provider=provider_of(provider)
            )
            yield state.context
        if isinstance(item, Finish):
            state.finishes.append(item)
            continue
        if isinstance(item, ToolCall):
            calls.append(item)
            continue
        yield from state.add_text(item, step_text)
        if cancel.is_set():
            break
    return "".join(step_text), calls


def run_calls(
    loop: ToolLoop,
    text: str,
    calls: list[ToolCall],
    state: TurnState,
    cancel: threading.Event,
    record_step: RecordStep,
) -> Iterator[Event]:
    """Run a generation's tool calls (until the loop stops or the user cancels) and add the
    calls that ran, with their results, to the turn's scratch."""
    results: list[ToolResultEvent] = []
    for call in calls:
        state.stopped = loop.check(call)
        if state.stopped:
            break
        yield loop.announce(call)
        result = loop.run(call)
        yield result
        loop.step_ids.append(record_step(call, result))
        results.append(result)
        state.stopped = loop.stop_reason
        if state.stopped or cancel.is_set():
            break
    if results:
        state.scratch.append(call_message(text, calls[: len(results)]))
        state.scratch.extend(result_message(r) for r in results)


def tool_call_error(provider: Provider, calls: list[ToolCall]) -> str:
    """The message for tool calls a turn cannot run: it offered no tools (tools are off)."""
    names = list(dict.fromkeys(repr(c.name) for c in calls))
    what = ("the tools " if len(names) > 1 else "the tool ") + ", ".join(names)
    return (
        f"{provider.name} asked to call {what}, but this turn offered no tools "
        "(tools are off); nothing was run"
    )
