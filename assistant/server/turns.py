"""Running orchestrator turns for HTTP requests.

A turn is blocking work (llama.cpp), so it runs in its own thread once its :class:`Ticket`
holds the model; its events cross to the event loop through an asyncio queue. When the
consumer stops early (the client went away) the turn's cancel event is set: a waiting turn
leaves the line, a running one stops within a token and its partial answer is saved as
stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

from assistant.model_queue import Ticket
from providers.base import (
    ChatMessage,
    ConfirmHosted,
    Finish,
    GenerationOptions,
    Provider,
    ToolCall,
    ToolSpec,
)

_END = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def turn_batches(
    ticket: Ticket,
    run: Callable[[threading.Event], Iterator[Any]],
    cancel: threading.Event,
) -> AsyncIterator[list[Any]]:
    """What ``run(cancel)`` yields, run in a thread while ``ticket`` holds the model; items
    that arrived while the consumer was busy come together (one write instead of many)."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Any] = asyncio.Queue()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed (server shutting down)
            loop.call_soon_threadsafe(items.put_nowait, item)

    def work() -> None:
        try:
            if not ticket.wait(cancel):
                return
            try:
                for item in run(cancel):
                    put(item)
            finally:
                ticket.release()
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failed(exc))
        finally:
            put(_END)

    thread = threading.Thread(target=work, name="fireside-api-turn", daemon=True)
    ticket.claimed = True
    thread.start()
    try:
        while True:
            arrived = [await items.get()]
            while not items.empty():
                arrived.append(items.get_nowait())
            batch: list[Any] = []
            for item in arrived:
                if item is _END or isinstance(item, _Failed):
                    if batch:
                        yield batch
                    if isinstance(item, _Failed):
                        raise item.exc
                    return
                batch.append(item)
            yield batch
    finally:
        cancel.set()  # a no-op once the turn is over; stops it if the client left


async def turn_events(
    ticket: Ticket,
    run: Callable[[threading.Event], Iterator[Any]],
    cancel: threading.Event,
) -> AsyncIterator[Any]:
    """:func:`turn_batches`, one item at a time."""
    try:
        async for batch in turn_batches(ticket, run, cancel):
            for item in batch:
                yield item
    finally:
        cancel.set()


class RequestProvider(Provider):
    """The shared provider as one API request sees it: the client's tools offered (and the
    calls the model makes collected, not run: they are the client's to run), ``stop``
    sequences applied, and sampling options overridden. Everything else is the shared
    provider's (loading, token counts, routing, notes)."""

    def __init__(
        self,
        inner: Provider,
        *,
        tools: tuple[ToolSpec, ...] = (),
        stop: tuple[str, ...] = (),
        on_tool_call: Callable[[ToolCall], None] | None = None,
    ) -> None:
        self._inner = inner
        self._tools = tools
        self._stop = tuple(s for s in stop if s)
        self._on_tool_call = on_tool_call

    @property
    def name(self) -> str:  # type: ignore[override]
        return self._inner.name

    @property
    def loaded(self) -> bool:
        return self._inner.loaded

    @property
    def context_size(self) -> int:
        return self._inner.context_size

    def load(self) -> None:
        self._inner.load()

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self._inner.count_tokens(messages)

    @property
    def template_note(self) -> str | None:  # type: ignore[override]
        return self._inner.template_note

    @property
    def hosted_provider(self) -> str | None:  # type: ignore[override]
        return self._inner.hosted_provider

    @property
    def calls_tools_reliably(self) -> bool:  # type: ignore[override]
        return self._inner.calls_tools_reliably

    @property
    def active(self) -> Provider:
        """A router's pick; this wrapper when the shared provider answers itself (so a
        request's tools and stop sequences stay applied)."""
        active = self._inner.active
        return self if active is self._inner else active

    def route(
        self,
        messages: list[ChatMessage],
        reserve: Callable[[int], int],
        confirm: ConfirmHosted | None = None,
    ) -> None:
        self._inner.route(messages, reserve, confirm)

    def warm_up(self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()) -> None:
        self._inner.warm_up(messages, tools)

    def take_notes(self) -> list[str]:
        return self._inner.take_notes()

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        return self._inner.cost(prompt_tokens, completion_tokens)

    def close(self) -> None:
        """The shared provider outlives the request: nothing to close."""

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str | ToolCall | Finish]:
        options = replace(options, tools=self._tools)
        inner_cancel = threading.Event()
        hold = max((len(s) for s in self._stop), default=1) - 1
        pending = ""
        stopped = False
        for item in self._inner.stream(messages, options, inner_cancel):
            if isinstance(item, Finish):
                if pending and not stopped:
                    yield pending
                if stopped:
                    item = Finish("stop", item.prompt_tokens, item.completion_tokens)
                elif cancel.is_set():
                    item = Finish("cancelled", item.prompt_tokens, item.completion_tokens)
                yield item
                return
            if isinstance(item, ToolCall):
                if self._on_tool_call is not None:
                    self._on_tool_call(item)
                continue
            if stopped:
                continue
            if not self._stop:
                yield item
            else:
                pending += item
                cut = _first_stop(pending, self._stop)
                if cut is not None:
                    if pending[:cut]:
                        yield pending[:cut]
                    pending, stopped = "", True
                    inner_cancel.set()
                elif len(pending) > hold:
                    yield pending[: len(pending) - hold]
                    pending = pending[len(pending) - hold :]
            if cancel.is_set():
                inner_cancel.set()


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None
