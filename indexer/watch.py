"""Keep a project's index fresh while files change (watchdog).

File events are collected, then handled once the tree has been quiet for the debounce time
(``[index] debounce_ms``), or at the latest after ``MAX_DELAY_S`` while events keep coming:

- a few paths → ``update(paths=...)``: only those files are checked (an editor's atomic save,
  write-temp-then-rename, is one update of the saved file; the temp file never is indexed);
- many paths (a ``git checkout``), a folder moved or deleted, or an ignore file changed → one
  full reconcile scan (``update()``), which is cheap for unchanged files.

Events inside ``.git/`` and the index's own folder are dropped. Embeddings follow the lexical
update in the same thread. When inotify runs out of watches (ENOSPC) or instances (EMFILE), the
watcher falls back to polling (``PollingObserver``) and says so through ``on_notice``.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import FiresideError
from indexer.scan import IGNORE_FILES

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.types import IndexSummary

log = logging.getLogger(__name__)

STORM_PATHS = 200  # more changed paths than this in one batch: reconcile the whole tree
MAX_DELAY_S = 2.0  # handle events at the latest this long after the first one of a batch
POLL_INTERVAL_S = 1.0


class WatchedIndex(Protocol):
    """What the watcher uses of a project index (:class:`~indexer.project.ProjectIndex`)."""

    root: Path
    dir: Path
    id: str
    settings: Settings

    def update(self, *, embed: bool = True, paths: list[str] | None = None) -> IndexSummary: ...

    def embed_pending(self) -> int: ...

    def notice(self, message: str) -> None: ...


class Watcher:
    def __init__(
        self,
        project: WatchedIndex,
        on_update: Callable[[IndexSummary], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        embed: bool = True,
        debounce_s: float | None = None,
    ) -> None:
        self.project = project
        self.root = project.root
        self.on_update = on_update
        self.on_notice = on_notice
        self.embed = embed
        self.debounce_s = (
            project.settings.index.debounce_ms / 1000 if debounce_s is None else debounce_s
        )
        self.polling = False
        self.updates = 0  # batches handled (tests and the TUI read it)
        self._pending: set[str] = set()
        self._full = False
        self._first_event = 0.0
        self._last_event = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._observer: Any = None
        self._thread: threading.Thread | None = None
        self._skip_prefixes = self._prefixes()

    def _prefixes(self) -> tuple[str, ...]:
        skip = [str(self.root / ".git") + os.sep]
        index_dir = str(self.project.dir)
        if index_dir.startswith(str(self.root) + os.sep):
            skip.append(index_dir + os.sep)
        return tuple(skip)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        from watchdog.observers import Observer

        try:
            self._observer = self._start_observer(Observer())
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EMFILE):
                raise
            self._notice(
                f"the system's file-watch limit is reached ({exc.strerror or exc}); watching "
                f"{self.root} by polling every {POLL_INTERVAL_S:.0f} s instead "
                "(raise fs.inotify.max_user_watches to avoid this)"
            )
            from watchdog.observers.polling import PollingObserver

            self.polling = True
            self._observer = self._start_observer(PollingObserver(timeout=POLL_INTERVAL_S))
        self._thread = threading.Thread(
            target=self._run, name=f"fireside-watch-{self.project.id}", daemon=True
        )
        self._thread.start()

    def _start_observer(self, observer: Any) -> Any:
        observer.schedule(_make_handler(self), str(self.root), recursive=True)
        try:
            observer.start()
        except BaseException:
            try:
                observer.unschedule_all()
                observer.stop()
            except Exception:  # noqa: BLE001 - already broken
                log.debug("stopping a failed observer", exc_info=True)
            raise
        return observer

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout)
            except Exception:  # noqa: BLE001
                log.debug("stopping the observer", exc_info=True)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- events -------------------------------------------------------------------------
    def _event(self, paths: list[str], is_dir: bool, kind: str) -> None:
        rels: list[str] = []
        full = False
        for path in paths:
            if not path or path.startswith(self._skip_prefixes) or path == str(self.root):
                continue
            try:
                rel = Path(path).relative_to(self.root).as_posix()
            except ValueError:
                continue
            if is_dir:
                if kind in ("moved", "deleted"):
                    full = True  # its files may not each report
                continue
            if rel.rpartition("/")[2] in IGNORE_FILES:
                full = True
            rels.append(rel)
        if not rels and not full:
            return
        now = time.monotonic()
        with self._cond:
            if not self._pending and not self._full:
                self._first_event = now
            self._pending.update(rels)
            self._full = self._full or full
            self._last_event = now
            self._cond.notify_all()

    def _take_batch(self) -> tuple[list[str], bool] | None:
        """Wait for a quiet moment after events; None when stopping."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if not self._pending and not self._full:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                quiet_at = self._last_event + self.debounce_s
                latest = self._first_event + max(MAX_DELAY_S, self.debounce_s)
                if now >= quiet_at or now >= latest:
                    batch, full = sorted(self._pending), self._full
                    self._pending, self._full = set(), False
                    return batch, full
                self._cond.wait(min(quiet_at, latest) - now)

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            paths, full = batch
            reconcile = full or len(paths) > STORM_PATHS
            try:
                summary = self.project.update(
                    embed=False, paths=None if reconcile else paths
                )
                self.updates += 1
                if self.on_update is not None:
                    self.on_update(summary)
                if self.embed and summary.pending:
                    self.project.embed_pending()
            except FiresideError as exc:
                self._notice(f"re-indexing failed: {exc}")
            except Exception as exc:  # noqa: BLE001 - the watcher must survive one bad batch
                log.exception("watch update failed")
                self._notice(f"re-indexing failed: {type(exc).__name__}: {exc}")

    def _notice(self, message: str) -> None:
        self.project.notice(message)
        if self.on_notice is not None:
            try:
                self.on_notice(message)
            except Exception:  # noqa: BLE001
                log.exception("notice callback failed")


def _make_handler(watcher: Watcher) -> Any:
    """A watchdog handler forwarding events to ``watcher`` (watchdog loads only on start)."""
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            if event.event_type == "modified" and event.is_directory:
                return
            paths = [_str(event.src_path)]
            if getattr(event, "dest_path", ""):
                paths.append(_str(event.dest_path))
            watcher._event(paths, event.is_directory, event.event_type)

    return Handler()


def _str(path: str | bytes) -> str:
    return os.fsdecode(path)
