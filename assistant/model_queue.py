"""One model, many clients: turns take the model one at a time, first come first served.

llama.cpp is not reentrant, so every turn (API requests and, when the TUI runs the server,
the TUI's own turns) holds the one slot while it runs. At most ``size`` more wait; an API
request past that is refused at once (503 with Retry-After) instead of piling up.

It lives in the core, not in ``assistant.server``, because both front ends use it: the API
server and the TUI (which runs the server in the background and queues its own turns).
"""

from __future__ import annotations

import threading
from collections import deque

from assistant.errors import ServerError

POLL_S = 0.05


class QueueFullError(ServerError):
    """The model is busy and the waiting line is full."""

    def __init__(self, waiting: int, retry_after: int = 2) -> None:
        super().__init__(
            f"the model is busy ({waiting} request(s) already waiting); retry in "
            f"{retry_after} s"
        )
        self.retry_after = retry_after


class Ticket:
    """A place in the line. :meth:`wait` for the model, :meth:`release` when done."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue = queue
        self._released = False
        self.claimed = False  # a thread took charge of waiting, running and releasing

    def wait(self, cancel: threading.Event | None = None) -> bool:
        """Block until this ticket holds the model; False (and out of the line) when
        ``cancel`` is set first."""
        return self._queue._wait(self, cancel)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._queue._release(self)

    def abandon(self) -> None:
        """Leave the line unless a thread has taken charge of this ticket (safe to call
        from a ``finally`` whatever happened)."""
        if not self.claimed:
            self.release()

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


class ModelQueue:
    """The running turn plus up to ``size`` waiting ones (FIFO)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._running: Ticket | None = None

    @property
    def running(self) -> int:
        return 1 if self._running is not None else 0

    @property
    def waiting(self) -> int:
        return len(self._line)

    def admit(self, *, bounded: bool = True) -> Ticket:
        """A place in the line, or QueueFullError when ``bounded`` and the line is full
        (the person at the keyboard, ``bounded=False``, is never refused)."""
        with self._cond:
            busy = self._running is not None or bool(self._line)
            if bounded and busy and len(self._line) >= self.size:
                raise QueueFullError(len(self._line), retry_after=max(1, len(self._line)))
            ticket = Ticket(self)
            self._line.append(ticket)
            return ticket

    def _wait(self, ticket: Ticket, cancel: threading.Event | None) -> bool:
        with self._cond:
            while self._running is not None or self._line[0] is not ticket:
                if cancel is not None and cancel.is_set():
                    self._line.remove(ticket)
                    ticket._released = True
                    self._cond.notify_all()
                    return False
                self._cond.wait(POLL_S if cancel is not None else None)
            self._line.popleft()
            self._running = ticket
            return True

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if self._running is ticket:
                self._running = None
            elif ticket in self._line:
                self._line.remove(ticket)
            self._cond.notify_all()
