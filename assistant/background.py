"""One worker thread for work that runs after a turn (saving model state, context reports).

Exports :class:`Background`.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Background:
    """A single worker thread, started on first use; :meth:`wait` joins what is under way."""

    def __init__(self, name: str = "fireside-background", *, raise_errors: bool = False) -> None:
        self._name = name
        self._raise = raise_errors  # wait() re-raises a job's exception (else it is dropped)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, *args: Any) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._name)
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._pool.submit(fn, *args))

    def wait(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for future in pending:
            if self._raise:
                future.result()
            else:
                future.exception()

    def close(self) -> None:
        self.wait()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
