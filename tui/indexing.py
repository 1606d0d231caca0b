"""Index the current project in the background while the TUI runs, and keep it fresh.

:class:`ProjectIndexer` runs in a daemon thread (the indexer's heavy imports happen there,
never on the UI thread): it opens the project, brings the lexical index up to date (search
works from then on), backfills embeddings, then watches the files. It reports through
Textual messages posted to the app (``IndexProgressed`` for the status bar, ``IndexOpened``
once search works, ``IndexFailed`` for a one-line notice). :meth:`ProjectIndexer.stop` asks
it to stop and waits briefly; it never holds up quitting (an embedding batch still running is
abandoned with the thread, and the next start resumes where this one stopped).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from assistant.errors import FiresideError, IndexLockedError

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.project import ProjectIndex
    from indexer.types import IndexProgress, IndexSummary

log = logging.getLogger(__name__)

# Seconds quitting waits for the indexing thread to notice it should stop.
STOP_WAIT_S = 2.0
NOT_A_PROJECT = "index: off (not a git project; `fireside index` indexes a folder)"


class IndexProgressed(Message):
    """Indexing moved on: ``text`` is for the status bar ("indexing 120/900 files")."""

    def __init__(self, text: str, *, busy: bool = True) -> None:
        super().__init__()
        self.text = text
        self.busy = busy


class IndexOpened(Message):
    """The project's index can be searched (``project`` is an indexer ProjectIndex);
    ``hybrid``: its embedder is loaded, so vector search costs no model load."""

    def __init__(self, project: Any, *, hybrid: bool = False) -> None:
        super().__init__()
        self.project = project
        self.hybrid = hybrid


class IndexFailed(Message):
    """Indexing failed or had something to say; ``error`` is one line."""

    def __init__(self, error: str, *, fatal: bool = True) -> None:
        super().__init__()
        self.error = error
        self.fatal = fatal


def progress_text(progress: IndexProgress) -> str:
    """The status bar's words for an indexer progress report."""
    if progress.phase == "scan":
        return "indexing: scanning files…"
    if progress.phase in ("chunk", "lexical"):
        if progress.files_total and progress.files_done < progress.files_total:
            return f"indexing {progress.files_done}/{progress.files_total} files"
        return "indexing: lexical index ready"
    if progress.phase == "embed":
        # Of all the project's chunks (a resumed pass does not start again at 0%).
        total = progress.embedded + progress.pending
        if total and progress.pending:
            text = f"embedding {min(99, progress.embedded * 100 // total)}%"
            if progress.eta_s is not None and progress.eta_s >= 90:
                text += f" (~{round(progress.eta_s / 60)} min left)"
            return text
        return "embedding: done"
    return progress.message or "indexing…"


def ready_text(files: int, pending: int = 0) -> str:
    text = f"index: {files} file" + ("" if files == 1 else "s")
    if pending:
        text += f" ({pending} chunk" + ("" if pending == 1 else "s") + " to embed)"
    return text


class ProjectIndexer:
    """Indexes ``root`` (None: the current git root or folder) in a background thread."""

    def __init__(
        self,
        root: Path | None,
        settings: Settings,
        post: Callable[[Message], object],
        *,
        embed: bool = True,
        watch: bool = True,
    ) -> None:
        self.root = root
        self.settings = settings
        self._post = post
        self._embed = embed
        self._watch = watch
        self.cancel = threading.Event()
        self.project: ProjectIndex | None = None
        self.error: str | None = None
        self.files = 0
        self.hybrid = False  # the embedder is loaded: vector search costs no model load
        self._watcher: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fireside-index", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the indexing pass (not the watcher) ends; True when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float = STOP_WAIT_S) -> None:
        """Stop indexing and watching; close the index if the thread ended in time."""
        self.cancel.set()
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                watcher.stop()
            except Exception:  # noqa: BLE001 - quitting must go on
                log.exception("stopping the index watcher failed")
        if not self.wait(timeout):
            return  # a batch is still running: the daemon thread goes with the process
        project, self.project = self.project, None
        if project is not None:
            try:
                project.close()
            except Exception:  # noqa: BLE001
                log.exception("closing the project index failed")

    # -- the thread -------------------------------------------------------------------------

    def _say(self, message: Message) -> None:
        if not self.cancel.is_set():
            self._post(message)

    def _progress(self, progress: IndexProgress) -> None:
        self._say(IndexProgressed(progress_text(progress)))

    def _run(self) -> None:
        try:
            self._index()
        except FiresideError as exc:
            self._fail(str(exc))
        except Exception as exc:  # a bug: one line, never a crashed app
            log.exception("indexing failed")
            self._fail(f"indexing failed ({type(exc).__name__}: {exc})")

    def _fail(self, error: str) -> None:
        # Once search works, a later failure (embeddings, watching) leaves the index usable.
        usable = self.project is not None and self.project.exists
        if not usable:
            self.error = error
        self._say(IndexFailed(error, fatal=not usable))

    def _index(self) -> None:
        self._say(IndexProgressed("indexing: opening…"))
        from indexer.project import find_root, index_dir, open_project  # off the UI thread

        root = self.root
        if root is None:
            # Only a project: a folder under git, or one indexed before (`fireside index`);
            # never a whole home folder just because the app was opened there.
            root = find_root(None)
            if not (root / ".git").exists() and not (index_dir(root) / "index.db").exists():
                self._say(IndexProgressed(NOT_A_PROJECT, busy=False))
                return
        project = open_project(root, self.settings)
        self.project = project
        if self.cancel.is_set():
            return
        if project.exists:
            self._say(IndexOpened(project))
        try:
            summary = project.update(progress=self._progress, cancel=self.cancel, embed=False)
        except IndexLockedError as exc:
            # Another process (`fireside index --watch`) keeps it fresh: search what it built.
            if not project.exists:
                raise
            self._say(IndexOpened(project))
            status = project.status()
            self.files = status.files
            self._say(IndexFailed(str(exc), fatal=False))
            self._say(IndexProgressed(ready_text(status.files, status.pending), busy=False))
            if self._embed and status.embedded:
                self._load_embedder(project)
            return
        if self.cancel.is_set():
            return
        self.files = summary.files
        self._say(IndexOpened(project))
        self._say(IndexProgressed(ready_text(summary.files, summary.pending), busy=False))
        if self._embed:
            if summary.pending:
                self._embed_pending(project)
            elif summary.embedded:
                self._load_embedder(project)
        for note in _take_notices(project):
            self._say(IndexFailed(note, fatal=False))
        if self._watch and not self.cancel.is_set():
            self._start_watching(project)

    def _embed_pending(self, project: ProjectIndex) -> None:
        self._say(IndexProgressed("embedding: loading the model…"))
        try:
            project.embed_pending(progress=self._progress, cancel=self.cancel)
        except FiresideError as exc:
            # Lexical search still works; say why vectors are missing.
            self._say(IndexFailed(f"embeddings unavailable: {exc}", fatal=False))
            return
        if self.cancel.is_set():
            return
        status = project.status()
        self.files = status.files
        self._say(IndexProgressed(ready_text(status.files, status.pending), busy=False))
        if status.embedded:
            self.hybrid = True
            self._say(IndexOpened(project, hybrid=True))

    def _load_embedder(self, project: ProjectIndex) -> None:
        """Load the embedding model here, so no answer waits for it (seconds) in a search."""
        text = ready_text(self.files)
        self._say(IndexProgressed(f"{text} · loading the embedder…"))
        try:
            project.embedder()
            project.vectors()  # opens Chroma (imports chromadb)
        except FiresideError as exc:
            self._say(IndexFailed(f"vector search unavailable: {exc}", fatal=False))
        else:
            self.hybrid = True
            self._say(IndexOpened(project, hybrid=True))
        self._say(IndexProgressed(text, busy=False))

    def _start_watching(self, project: ProjectIndex) -> None:
        def updated(summary: IndexSummary) -> None:
            # Sent after the lexical update; the watcher embeds the new chunks right after.
            self.files = summary.files
            self._say(IndexProgressed(ready_text(summary.files), busy=False))

        def noticed(text: str) -> None:
            self._say(IndexFailed(text, fatal=False))

        try:
            watcher = project.watch(on_update=updated, on_notice=noticed, embed=self._embed)
        except Exception as exc:  # noqa: BLE001 - the index still works, only not kept fresh
            log.warning("not watching %s", self.root, exc_info=True)
            self._say(IndexFailed(f"not watching for changes: {exc}", fatal=False))
            return
        with self._lock:
            if self.cancel.is_set():
                watcher.stop()
                return
            self._watcher = watcher


def _take_notices(project: ProjectIndex) -> list[str]:
    notes = list(getattr(project, "notices", []))
    if notes:
        project.notices.clear()
    return notes
