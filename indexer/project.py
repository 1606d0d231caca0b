"""One project's index: the public API the CLI, the TUI, the tools and the server use.

``open_project(path, settings)`` → :class:`ProjectIndex` with ``update`` (incremental: lexical
first, then embeddings backfilled), ``embed_pending``, ``search``, ``status``, ``watch``,
``forget`` and ``close``. Index data lives in ``<data dir>/index/<id>/`` (``index.db`` for
SQLite, ``chroma/`` for the embedded vector store, ``lock``), ``<id>`` a short hash of the
resolved root.

Ownership: the first write (update, embed, forget) takes an exclusive ``flock`` on ``lock`` and
keeps it until ``close()``. Another process then gets :class:`IndexLockedError` for writes but
can still search (SQLite in WAL mode; Chroma read as it is). Inside one process
``open_project`` hands out one shared instance per root (closed when its last user closes it;
the settings of the first opener hold while it stays open).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexerError, IndexLockedError
from indexer.chunk import chunk_file
from indexer.lexical import LexicalIndex
from indexer.root import find_root
from indexer.scan import Scanner, display_name, read_source
from indexer.types import (
    FileHit,
    Hit,
    IndexProgress,
    IndexStatus,
    IndexSummary,
    ProgressCallback,
    SearchMode,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.embed import Embedder
    from indexer.vectors import VectorStore
    from indexer.watch import Watcher

log = logging.getLogger(__name__)

COMMIT_EVERY = 200  # files per SQLite transaction (an interrupted run keeps what it committed)

_registry: dict[Path, ProjectIndex] = {}
_registry_lock = threading.Lock()


def project_id(root: Path) -> str:
    return hashlib.sha256(str(root).encode()).hexdigest()[:12]


def index_dir(root: Path) -> Path:
    from assistant.paths import get_paths

    return get_paths().data_dir / "index" / project_id(root)


def _resolve_folder(path: Path | None) -> Path:
    if path is None:
        return find_root(None)
    folder = Path(path).expanduser()
    if not folder.exists():
        raise IndexerError(f"{folder} does not exist")
    if not folder.is_dir():
        raise IndexerError(f"{folder} is a file; give a folder to index")
    return folder.resolve()


def open_project(path: Path | None, settings: Settings) -> ProjectIndex:
    """The index of the folder at ``path`` (None: the current git root or folder)."""
    return _shared(_resolve_folder(path), settings)


def _shared(root: Path, settings: Settings) -> ProjectIndex:
    with _registry_lock:
        project = _registry.get(root)
        if project is None or project.closed:
            project = _registry[root] = ProjectIndex(root, settings)
        project._users += 1
        return project


def forget_project(path: Path, settings: Settings) -> Path:
    """Delete a project's index (also when its folder is gone); returns the folder removed.
    Raises IndexerError when there is none, IndexLockedError when another process owns it."""
    root = Path(path).expanduser().resolve()
    folder = index_dir(root)
    if not folder.exists():
        raise IndexerError(f"{root} has no index")
    project = _shared(root, settings)
    try:
        project.forget()
    finally:
        project.close()
    return folder


class ProjectIndex:
    """See the module docstring. Thread-safe: updates are serialised, searches run alongside."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.id = project_id(root)
        self.dir = index_dir(root)
        self.notices: list[str] = []  # things the user should hear about (rebuilt index, ...)
        self.last_note: str | None = None  # why the last search fell back to lexical, etc.
        self.closed = False
        self._users = 0
        self._lex: LexicalIndex | None = None
        self._lock_file: Any = None
        self._update_lock = threading.RLock()  # held while the index changes
        self._open_lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._embedder_error: str | None = None
        self._vectors: VectorStore | None = None
        self.vectors_checked = False  # the embedding pass compared the store with the flags
        self.vector_rebuilds = 0  # how often the vector store was rebuilt in this process
        self._scanner: Scanner | None = None
        self._watcher: Watcher | None = None

    # -- plumbing -----------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.dir / "index.db").exists()

    @property
    def update_lock(self) -> threading.RLock:
        """Held by every write to the lexical index (updates, the embedding pass)."""
        return self._update_lock

    def lexical(self, create: bool = False) -> LexicalIndex:
        """The SQLite index, opened once (``create``: also when none exists yet; else
        IndexerError)."""
        with self._open_lock:  # searches and the indexing thread may both get here first
            if self._lex is None:
                if not create and not self.exists:
                    raise IndexerError(f"{self.root} is not indexed yet; run `fireside index`")
                lex = LexicalIndex(self.dir / "index.db")
                if lex.get_meta("root") is None:
                    lex.set_meta("root", str(self.root))
                    lex.commit()
                self._lex = lex
            return self._lex

    def _acquire_write(self) -> None:
        if self._lock_file is not None:
            return
        import fcntl

        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.dir / "lock", "a+")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise IndexerError(
                f"cannot write the index of {self.root} in {self.dir}: {exc.strerror} "
                "(is the data folder read-only?); searching an existing index still works"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise IndexLockedError(
                f"another Fireside process is indexing {self.root}; searching still works, "
                "indexing can run again once it stops"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    def _emit(self, progress: ProgressCallback | None, **fields: Any) -> None:
        if progress is not None:
            try:
                progress(IndexProgress(**fields))
            except Exception:  # noqa: BLE001 - a broken progress display must not stop indexing
                log.exception("progress callback failed")

    def notice(self, message: str) -> None:
        log.warning("%s", message)
        self.notices.append(message)

    @property
    def embedding_model(self) -> str:
        from indexer.embed import model_id

        return model_id(self.settings.index.embedding_model)

    # -- indexing -----------------------------------------------------------------------
    def update(
        self,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        embed: bool = True,
        paths: list[str] | None = None,
    ) -> IndexSummary:
        """Bring the index up to date with the files; ``paths`` (relative) limits the check to
        those files (the watcher's case). Lexical search works as soon as this returns with
        ``embed=False``; embeddings are then backfilled by :meth:`embed_pending`."""
        self._acquire_write()
        with self.update_lock:
            started = time.monotonic()
            lex = self.lexical(create=True)
            if self._scanner is None or paths is None:
                self._scanner = Scanner(self.root, self.settings.index.max_file_bytes)
            scanner = self._scanner
            self._emit(progress, phase="scan", message=f"scanning {self.root}")
            known = lex.file_states()
            if paths is None:
                files = list(scanner.walk())
                present = {f.rel for f in files}
                gone = [rel for rel in known if rel not in present]
            else:
                files, gone = [], []
                for rel in dict.fromkeys(paths):
                    found = scanner.check(rel)
                    if found is not None:
                        files.append(found)
                    elif display_name(rel) in known:
                        gone.append(display_name(rel))
            for rel in gone:
                lex.remove_file(rel)
            lex.commit()
            stale = [f for f in files if known.get(f.rel, (None, None))[:2] != (f.size, f.mtime_ns)]
            added = changed = new_chunks = 0
            total = len(stale)
            for done, found in enumerate(stale, 1):
                if cancel is not None and cancel.is_set():
                    break
                text = read_source(found.path, self.settings.index.max_file_bytes, self.root)
                old = known.get(found.rel)
                if text is None:  # binary, vanished or unreadable now
                    if old is not None:
                        lex.remove_file(found.rel)
                        gone.append(found.rel)
                    continue
                digest = hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()
                if old is not None and old[2] == digest:
                    lex.touch_file(found.rel, found.size, found.mtime_ns)
                    continue
                chunks = chunk_file(found.rel, text)
                try:
                    lex.replace_file(found.rel, found.size, found.mtime_ns, digest, chunks)
                except (UnicodeError, ValueError, sqlite3.Error) as exc:  # one odd file
                    self.notice(f"skipped {found.rel}: {exc}")  # must not stop the others
                    continue
                new_chunks += len(chunks)
                if old is None:
                    added += 1
                else:
                    changed += 1
                if done % COMMIT_EVERY == 0:
                    lex.commit()
                    elapsed = time.monotonic() - started
                    self._emit(
                        progress, phase="lexical", files_done=done, files_total=total,
                        chunks_done=new_chunks, eta_s=elapsed / done * (total - done),
                    )
            lex.set_meta("last_update", datetime.now(UTC).isoformat(timespec="seconds"))
            lex.commit()
            files_n, chunks_n, embedded_n = lex.counts()
            self._emit(
                progress, phase="lexical", files_done=total, files_total=total,
                chunks_done=new_chunks, chunks_total=chunks_n, embedded=embedded_n,
                pending=chunks_n - embedded_n, message="lexical index ready",
            )
        if embed and not (cancel is not None and cancel.is_set()):
            self.embed_pending(progress, cancel)
            files_n, chunks_n, embedded_n = lex.counts()
        return IndexSummary(
            root=str(self.root), files=files_n, changed=added + changed + len(gone),
            added=added, deleted=len(gone), chunks=chunks_n, embedded=embedded_n,
            pending=chunks_n - embedded_n, seconds=time.monotonic() - started,
        )

    def embed_pending(
        self,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        limit: int | None = None,
    ) -> int:
        """Give chunks without a vector one (cached vectors first; at most ``limit``); returns
        how many got one. Safe in a background thread while searches and updates go on."""
        from indexer.embedding_pass import run_embedding_pass

        self._acquire_write()
        return run_embedding_pass(self, progress, cancel, limit)

    # -- parts used by the embedding pass and search ------------------------------------
    def embedder(self) -> Embedder:
        """The embedding model, loaded once (raises IndexerError when it cannot load)."""
        if self._embedder_error is not None:
            raise IndexerError(self._embedder_error)
        if self._embedder is None:
            from indexer.embed import Embedder

            embedder = Embedder(
                self.settings.index.embedding_model, self.settings.index.embed_batch_size
            )
            try:
                embedder.load()
            except IndexerError as exc:
                self._embedder_error = str(exc)
                raise
            self._embedder = embedder
        return self._embedder

    def vectors(self) -> VectorStore:
        if self._vectors is None:
            from indexer.vectors import VectorStore, collection_name

            self._vectors = VectorStore(
                self.dir / "chroma",
                self.settings.vector_store.url,
                collection_name(self.id, self.embedding_model),
                on_rebuilt=self._vectors_rebuilt,
                can_rebuild=self._owns_or_can_own,
            )
        return self._vectors

    def _owns_or_can_own(self) -> bool:
        try:
            self._acquire_write()
        except IndexLockedError:
            return False
        return True

    def _vectors_rebuilt(self, reason: str) -> None:
        self.vector_rebuilds += 1
        self.notice(
            f"the vector index of {self.root} could not be loaded ({reason}); rebuilt it "
            "from cached embeddings"
        )
        if self._lex is not None:
            with self.update_lock:
                self._lex.reset_embedded()
                self._lex.commit()

    # -- search -------------------------------------------------------------------------
    def search(
        self, query: str, k: int = 10, mode: SearchMode = "hybrid", path_glob: str | None = None
    ) -> list[Hit]:
        """The best ``k`` chunks for ``query``. ``vector`` and ``hybrid`` fall back to lexical
        (with :attr:`last_note` saying why) while no embeddings exist or the model cannot
        load."""
        from indexer.search import run_search
        from indexer.secret_files import is_secret_file

        hits = run_search(self, query, k, mode, path_glob)
        # An index written before a secret rule existed (or a link retargeted since): never
        # hand out a chunk of a file that is, or now resolves to, a secret.
        return [hit for hit in hits if not is_secret_file(hit.path, self.root)]

    def search_files(
        self, query: str, k: int = 10, mode: SearchMode = "hybrid", path_glob: str | None = None
    ) -> list[FileHit]:
        """The best ``k`` files for ``query``, each with its best chunks (same fallbacks as
        :meth:`search`)."""
        from indexer.search import run_file_search
        from indexer.secret_files import is_secret_file

        files = run_file_search(self, query, k, mode, path_glob)
        return [hit for hit in files if not is_secret_file(hit.path, self.root)]

    # -- status, watch, forget, close ---------------------------------------------------
    def status(self) -> IndexStatus:
        lex = self.lexical()
        files, chunks, embedded = lex.counts()
        return IndexStatus(
            root=str(self.root), files=files, chunks=chunks, embedded=embedded,
            pending=chunks - embedded, model=self.embedding_model,
            last_update=lex.get_meta("last_update"),
            vector_store=self.settings.vector_store.url or "embedded",
        )

    def watch(
        self,
        on_update: Callable[[IndexSummary], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        embed: bool = True,
    ) -> Watcher:
        """Start watching the root (a background thread); ``Watcher.stop()`` ends it."""
        from indexer.watch import Watcher

        self._acquire_write()
        watcher = Watcher(self, on_update=on_update, on_notice=on_notice, embed=embed)
        watcher.start()
        self._watcher = watcher
        return watcher

    def forget(self) -> None:
        """Drop this project's index (SQLite, vectors, lock)."""
        self._acquire_write()
        with self.update_lock:
            if self._watcher is not None:
                self._watcher.stop()
            if self._vectors is not None or self.settings.vector_store.url:
                try:
                    self.vectors().drop()
                except IndexerError as exc:
                    log.warning("could not drop vectors: %s", exc)
            if self._lex is not None:
                self._lex.close()
                self._lex = None
            shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        with _registry_lock:
            self._users -= 1
            if self._users > 0:
                return
            if _registry.get(self.root) is self:
                del _registry[self.root]
        self.closed = True
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        with self.update_lock:
            if self._vectors is not None:
                self._vectors.close()
                self._vectors = None
            if self._lex is not None:
                self._lex.close()
                self._lex = None
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None
