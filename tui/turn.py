"""The state of one running answer, shared between the UI thread and its worker thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.events import Event, TokenEvent

if TYPE_CHECKING:
    from tui.message_list import MessageView

# Tokens arriving closer together than this are shown together (about 12 updates a second):
# each Markdown update costs the UI thread tens of ms, and it shares the CPU with llama.cpp.
STREAM_INTERVAL_S = 0.08


@dataclass(eq=False)
class Turn:
    """One prompt and its streaming answer.

    ``cancel`` is handed to the orchestrator (Esc sets it); ``finished`` is set by the worker
    when it returns. A ``detached`` turn belongs to a chat the user has left: its events no
    longer touch the screen.
    """

    prompt: str
    session_id: str | None
    view: MessageView
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    detached: bool = False
    listed: bool = False
    error: str | None = None
    context: str | None = None  # text sent with the prompt (results of /web, /fetch)
    tool_views: dict[str, Any] = field(default_factory=dict)  # call id -> ToolCallView

    @property
    def stopping(self) -> bool:
        return self.cancel.is_set()


class TokenBatcher:
    """Joins tokens that arrive less than ``interval`` seconds apart into one TokenEvent.

    A fast model yields tokens faster than a terminal needs frames; batching keeps the UI
    thread (which shares the CPU with llama.cpp) from re-rendering per token. The first
    token passes at once, order is kept, and any other event flushes what is pending first.
    """

    def __init__(
        self, interval: float = STREAM_INTERVAL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._pending: list[str] = []
        self._last: float | None = None

    def feed(self, event: Event) -> list[Event]:
        """The events to post now for ``event`` (maybe none, while tokens accumulate)."""
        if not isinstance(event, TokenEvent):
            return [*self.flush(), event]
        self._pending.append(event.text)
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return []
        self._last = now
        return self.flush()

    def flush(self) -> list[Event]:
        """The pending tokens as one event (or nothing)."""
        if not self._pending:
            return []
        text = "".join(self._pending)
        self._pending.clear()
        return [TokenEvent(text)]
