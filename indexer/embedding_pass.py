"""The embedding phase of an update: give every chunk without a vector one.

Batches of pending chunks: vectors come from the SQLite cache when the (model, chunk hash) pair
was embedded before (a renamed file, a branch switched back), else from the model; then they
go to the vector store and the chunks are marked. The model runs outside the project's update
lock, so the watcher's lexical updates are not held up; a chunk deleted meanwhile is skipped.
Vectors of removed chunks are deleted from the store first; the first pass of a process checks
that the store holds as many vectors as the flags claim (a deleted or rebuilt folder does not).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from indexer.types import IndexProgress, ProgressCallback

if TYPE_CHECKING:
    import threading

    from indexer.embed import Embedder
    from indexer.parts import IndexParts
    from indexer.vectors import VectorStore

WINDOW_BATCHES = 8  # pending chunks are read this many batches at a time and sorted by length


def run_embedding_pass(
    project: IndexParts,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    limit: int | None = None,
) -> int:
    from assistant.errors import IndexerError

    lex = project.lexical(create=True)
    model = project.embedding_model
    if lex.get_meta("embedded_model") != model:  # a new model: every chunk needs its vector
        lex.reset_embedded()
        lex.set_meta("embedded_model", model)
        lex.commit()
    _files, chunks_total, embedded = lex.counts()
    folder_ok = bool(project.settings.vector_store.url) or (
        project.dir / "chroma" / "chroma.sqlite3"
    ).exists()
    if chunks_total == embedded and folder_ok and not lex.vector_deletes(1):
        return 0  # nothing to do (and no need to load Chroma)
    try:
        store = project.vectors()
        deletes = lex.vector_deletes()
        while deletes:
            store.delete(deletes)
            with project.update_lock:
                lex.clear_vector_deletes(deletes)
                lex.commit()
            deletes = lex.vector_deletes()
        _files, chunks_total, embedded = lex.counts()
        if not project.vectors_checked:
            # The store lost vectors (folder deleted, rebuilt, another server): re-add them
            # all from the cache rather than trust the flags.
            if store.count() != embedded:
                with project.update_lock:
                    lex.reset_embedded()
                    lex.commit()
                embedded = 0
            project.vectors_checked = True
        pending = chunks_total - embedded
        if pending == 0:
            return 0
        embedder = project.embedder()
    except IndexerError as exc:
        project.notice(f"embeddings skipped: {exc}")
        return 0
    batch_size = max(8, project.settings.index.embed_batch_size)
    started = time.monotonic()
    done = 0
    after = 0
    _report(progress, 0, pending, None, embedded)
    while not (cancel is not None and cancel.is_set()):
        if limit is not None and done >= limit:
            break
        want = batch_size * WINDOW_BATCHES
        window = lex.pending(want if limit is None else min(want, limit - done), after)
        if not window:
            break
        after = window[-1][0]
        # Batches of similar length pad less: what a bare encode() of everything gets too.
        window.sort(key=lambda row: len(row[2]))
        for start in range(0, len(window), batch_size):
            if cancel is not None and cancel.is_set():
                break
            rebuilds = project.vector_rebuilds
            batch = window[start : start + batch_size]
            done += _embed_batch(project, store, embedder, model, batch)
            if project.vector_rebuilds != rebuilds:  # the store was rebuilt: start over
                after = 0
                break
            elapsed = time.monotonic() - started
            _, chunks_total, embedded_now = lex.counts()
            left = chunks_total - embedded_now
            rate = done / elapsed if elapsed > 0 else 0.0
            _report(progress, done, left, left / rate if rate > 0 else None, embedded_now)
    return done


def _embed_batch(
    project: IndexParts,
    store: VectorStore,
    embedder: Embedder,
    model: str,
    batch: list[tuple[int, str, str, str]],
) -> int:
    """Vectors for one batch (cache first), into the store; returns how many chunks got one."""
    lex = project.lexical()
    cached = lex.cached_vectors(model, [digest for _, digest, _, _ in batch])
    missing = [(digest, text) for _, digest, text, _ in batch if digest not in cached]
    fresh: dict[str, bytes] = {}
    if missing:
        import numpy as np

        vectors = embedder.encode([text for _, text in missing])
        for (digest, _), vector in zip(missing, vectors, strict=True):
            fresh[digest] = np.asarray(vector, dtype=np.float32).tobytes()
    with project.update_lock:  # the model ran outside it; chunks may have gone meanwhile
        alive = lex.existing(i for i, _, _, _ in batch)
        rows = [(i, digest, path) for i, digest, _, path in batch if i in alive]
        if fresh:
            lex.store_vectors(model, fresh.items())
        if rows:
            blobs = [cached.get(d) or fresh[d] for _, d, _ in rows]
            store.upsert([i for i, _, _ in rows], blobs, [p for _, _, p in rows])
            lex.mark_embedded([i for i, _, _ in rows])
        lex.commit()
    return len(rows)


def _report(
    progress: ProgressCallback | None, done: int, left: int, eta: float | None, embedded: int
) -> None:
    if progress is None:
        return
    try:
        progress(
            IndexProgress(
                phase="embed", chunks_done=done, chunks_total=done + left, embedded=embedded,
                pending=left, eta_s=eta, message="embedding" if left else "embeddings ready",
            )
        )
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).exception("progress callback failed")
