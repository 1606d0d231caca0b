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

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.project import ProjectIndex
    from indexer.service import ServiceStatus
    from indexer.types import IndexProgress, IndexSummary

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
    """Indexes ``root`` (None: the current git root or folder) in a background thread: the
    indexer's service, reporting as Textual messages through ``post``."""

    def __init__(
        self,
        root: Path | None,
        settings: Settings,
        post: Callable[[Message], object],
        *,
        embed: bool = True,
        watch: bool = True,
    ) -> None:
        from indexer.service import IndexService  # light: the indexer loads in its thread

        self.root = root
        self.settings = settings
        self._post = post
        self.service = IndexService(
            settings, root, embed=embed, watch=watch, on_progress=self._progressed,
            on_status=self._status, on_error=self._failed, on_update=self._updated,
        )
        self.cancel = self.service.cancel

    @property
    def project(self) -> ProjectIndex | None:
        return self.service.project

    @property
    def error(self) -> str | None:
        return self.service.error

    @property
    def files(self) -> int:
        return self.service.files

    @property
    def hybrid(self) -> bool:
        """The embedder is loaded: vector search costs no model load."""
        return self.service.hybrid

    @property
    def running(self) -> bool:
        return self.service.running

    @property
    def watching(self) -> bool:
        return self.service.watching

    def start(self) -> None:
        self.service.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the indexing pass (not the watcher) ends; True when it has."""
        return self.service.wait(timeout)

    def stop(self, timeout: float = STOP_WAIT_S) -> None:
        """Stop indexing and watching; close the index if the thread ended in time."""
        self.service.stop(timeout)

    # -- from the indexing thread: messages for the app (none once stopping) ---------------

    def _say(self, message: Message) -> None:
        if not self.cancel.is_set():
            self._post(message)

    def _progressed(self, progress: IndexProgress) -> None:
        self._say(IndexProgressed(progress_text(progress)))

    def _status(self, status: ServiceStatus) -> None:
        if status.kind == "opening":
            self._say(IndexProgressed("indexing: opening…"))
        elif status.kind == "not_a_project":
            self._say(IndexProgressed(NOT_A_PROJECT, busy=False))
        elif status.kind == "searchable":
            self._say(IndexOpened(self.project, hybrid=status.hybrid))
        elif status.kind == "ready":
            self._say(IndexProgressed(ready_text(status.files, status.pending), busy=False))
        elif status.kind == "loading_model":
            self._say(IndexProgressed("embedding: loading the model…"))
        elif status.kind == "loading_embedder":
            self._say(IndexProgressed(f"{ready_text(status.files)} · loading the embedder…"))

    def _failed(self, error: str, fatal: bool) -> None:
        self._say(IndexFailed(error, fatal=fatal))

    def _updated(self, summary: IndexSummary) -> None:
        # Sent after the lexical update; the watcher embeds the new chunks right after.
        self._say(IndexProgressed(ready_text(summary.files), busy=False))
