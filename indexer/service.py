"""One project's index lifecycle, for every front end: open, refresh, embed, watch, stop, close.

:class:`IndexService` knows no UI. Front ends give it callbacks and turn what they hear into
their own words: ``on_progress`` (an :class:`~indexer.types.IndexProgress` during a refresh or
an embedding pass), ``on_status`` (a :class:`ServiceStatus`: opening, searchable, ready, ...),
``on_error`` (one line and whether the index is unusable) and ``on_update`` (the summary of each
batch the watcher handled). Callbacks run on the indexing or watcher thread; one that raises is
logged and does not stop indexing.

Two ways to use it:

- step by step (``fireside index``, the API's index jobs, one-shot chat context):
  :meth:`open`, :meth:`refresh`, :meth:`watch`, :meth:`close`; errors raise;
- all of it in a background thread (the TUI): :meth:`start` opens the project, brings the
  lexical index up to date (search works from then on), backfills embeddings (or loads the
  embedder, so no search waits for it), then watches the files; :meth:`stop` ends it. Errors
  then go to ``on_error`` (``fatal`` while the index cannot be searched).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.errors import FiresideError, IndexerError, IndexLockedError

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.project import ProjectIndex
    from indexer.types import IndexProgress, IndexStatus, IndexSummary
    from indexer.watch import Watcher

log = logging.getLogger(__name__)

StatusKind = Literal[
    "opening",  # the indexer is being loaded and the project opened
    "not_a_project",  # start() found no project to index (no git folder, no earlier index)
    "searchable",  # the index can be searched (``hybrid``: with the embedder loaded)
    "ready",  # a pass ended: ``files`` in the index, ``pending`` chunks without a vector
    "loading_model",  # the embedding pass is about to load the model
    "loading_embedder",  # loading the embedder (and vector store) for searches
]


@dataclass(frozen=True)
class ServiceStatus:
    kind: StatusKind
    files: int = 0
    pending: int = 0
    hybrid: bool = False


StatusCallback = Callable[[ServiceStatus], None]
ErrorCallback = Callable[[str, bool], None]  # (one line, fatal)


class IndexService:
    """The index of ``root`` (None: the current git root or folder). Thread-safe: the
    background pass, the watcher and :meth:`stop` may run on different threads."""

    def __init__(
        self,
        settings: Settings,
        root: Path | None = None,
        *,
        embed: bool = True,
        watch: bool = False,
        cancel: threading.Event | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
        on_status: StatusCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_update: Callable[[IndexSummary], None] | None = None,
    ) -> None:
        self.settings = settings
        self.root = root
        self.embed = embed
        self.watch_files = watch
        self.cancel = cancel if cancel is not None else threading.Event()
        self.on_progress = on_progress
        self.on_status = on_status
        self.on_error = on_error
        self.on_update = on_update
        self.project: ProjectIndex | None = None
        self.error: str | None = None  # why the index cannot be searched (start() only)
        self.files = 0  # files in the index after the last pass
        self.hybrid = False  # the embedder is loaded: vector search costs no model load
        self._watcher: Watcher | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """The background pass of :meth:`start` is still going (not counting the watcher)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    # -- step by step ---------------------------------------------------------------------
    def open(self, *, only_projects: bool = False) -> ProjectIndex | None:
        """Open the project's index (it may not exist yet); raises FiresideError for a bad
        folder. ``only_projects`` with no ``root``: None (and a ``not_a_project`` status) unless
        the folder is under git or was indexed before, never a whole home folder."""
        from indexer.project import find_root, index_dir, open_project

        root = self.root
        if root is None and only_projects:
            root = find_root(None)
            if not (root / ".git").exists() and not (index_dir(root) / "index.db").exists():
                self._status("not_a_project")
                return None
        project = open_project(root, self.settings)
        self.project = project
        return project

    def refresh(
        self, *, embed: bool | None = None, paths: list[str] | None = None
    ) -> IndexSummary:
        """Bring the index up to date (``embed``: then backfill embeddings; default: the
        service's ``embed``); progress goes to ``on_progress``, ``cancel`` stops it."""
        return self._opened().update(
            progress=self._progress, cancel=self.cancel,
            embed=self.embed if embed is None else embed, paths=paths,
        )

    def status(self) -> IndexStatus:
        return self._opened().status()

    def watch(self) -> Watcher:
        """Keep the index fresh while files change (a background thread); batches go to
        ``on_update``, the watcher's notices to ``on_error`` (not fatal)."""
        project = self._opened()

        def updated(summary: IndexSummary) -> None:
            self.files = summary.files
            if self.on_update is not None:
                self.on_update(summary)

        def noticed(text: str) -> None:
            self._error(text, fatal=False)

        watcher = project.watch(on_update=updated, on_notice=noticed, embed=self.embed)
        with self._lock:
            if self.cancel.is_set():
                watcher.stop()  # stop() came while watching started
                return watcher
            self._watcher = watcher
        return watcher

    def stop_watching(self) -> None:
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def take_notices(self) -> list[str]:
        """What the index had to say since the last call (a rebuilt vector store, ...)."""
        project = self.project
        if project is None or not project.notices:
            return []
        notes = list(project.notices)
        project.notices.clear()
        return notes

    def close(self) -> None:
        """Stop watching and close the index (the service can be opened again)."""
        self.stop_watching()
        project, self.project = self.project, None
        if project is not None:
            project.close()

    def _opened(self) -> ProjectIndex:
        if self.project is None:
            raise IndexerError("the project index is not open; call open() first")
        return self.project

    # -- in the background ----------------------------------------------------------------
    def start(self) -> None:
        """Open, refresh, embed and (with ``watch``) watch in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="fireside-index", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the background pass (not the watcher) ends; True when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the pass and the watcher; close the index if the pass ended within
        ``timeout`` (else its daemon thread, maybe inside an embedding batch, is abandoned:
        the next start resumes where it stopped)."""
        self.cancel.set()
        try:
            self.stop_watching()
        except Exception:  # noqa: BLE001 - stopping must go on
            log.exception("stopping the index watcher failed")
        if not self.wait(timeout):
            return
        try:
            self.close()
        except Exception:  # noqa: BLE001
            log.exception("closing the project index failed")

    def _run(self) -> None:
        try:
            self._lifecycle()
        except FiresideError as exc:
            self._fail(str(exc))
        except Exception as exc:  # a bug: one line for the front end, never a crash
            log.exception("indexing failed")
            self._fail(f"indexing failed ({type(exc).__name__}: {exc})")

    def _fail(self, error: str) -> None:
        # Once search works, a later failure (embeddings, watching) leaves the index usable.
        usable = self.project is not None and self.project.exists
        if not usable:
            self.error = error
        self._error(error, fatal=not usable)

    def _lifecycle(self) -> None:
        self._status("opening")
        project = self.open(only_projects=True)
        if project is None or self.cancel.is_set():
            return
        if project.exists:
            self._status("searchable")
        try:
            summary = self.refresh(embed=False)
        except IndexLockedError as exc:
            # Another process (`fireside index --watch`) keeps it fresh: search what it built.
            if not project.exists:
                raise
            self._status("searchable")
            status = project.status()
            self.files = status.files
            self._error(str(exc), fatal=False)
            self._status("ready", files=status.files, pending=status.pending)
            if self.embed and status.embedded:
                self._load_embedder(project)
            return
        if self.cancel.is_set():
            return
        self.files = summary.files
        self._status("searchable")
        self._status("ready", files=summary.files, pending=summary.pending)
        if self.embed:
            if summary.pending:
                self._embed_pending(project)
            elif summary.embedded:
                self._load_embedder(project)
        for note in self.take_notices():
            self._error(note, fatal=False)
        if self.watch_files and not self.cancel.is_set():
            try:
                self.watch()
            except Exception as exc:  # noqa: BLE001 - the index works, only not kept fresh
                log.warning("not watching %s", self.root, exc_info=True)
                self._error(f"not watching for changes: {exc}", fatal=False)

    def _embed_pending(self, project: ProjectIndex) -> None:
        self._status("loading_model")
        try:
            project.embed_pending(progress=self._progress, cancel=self.cancel)
        except FiresideError as exc:
            # Lexical search still works; say why vectors are missing.
            self._error(f"embeddings unavailable: {exc}", fatal=False)
            return
        if self.cancel.is_set():
            return
        status = project.status()
        self.files = status.files
        self._status("ready", files=status.files, pending=status.pending)
        if status.embedded:
            self.hybrid = True
            self._status("searchable", hybrid=True)

    def _load_embedder(self, project: ProjectIndex) -> None:
        """Load the embedding model now, so no search waits for it (seconds)."""
        self._status("loading_embedder", files=self.files)
        try:
            project.embedder()
            project.vectors()  # opens Chroma (imports chromadb)
        except FiresideError as exc:
            self._error(f"vector search unavailable: {exc}", fatal=False)
        else:
            self.hybrid = True
            self._status("searchable", hybrid=True)
        self._status("ready", files=self.files)

    # -- callbacks ------------------------------------------------------------------------
    def _progress(self, progress: IndexProgress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)  # the index guards its progress callbacks

    def _status(self, kind: StatusKind, **fields: int | bool) -> None:
        if self.on_status is not None:
            try:
                self.on_status(ServiceStatus(kind, **fields))  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a broken display must not stop indexing
                log.exception("index status callback failed")

    def _error(self, message: str, *, fatal: bool) -> None:
        if self.on_error is not None:
            try:
                self.on_error(message, fatal)
            except Exception:  # noqa: BLE001
                log.exception("index error callback failed")
