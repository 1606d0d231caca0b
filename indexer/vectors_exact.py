"""Nearest chunks by an exact scan of the vectors the index's SQLite file already holds.

Every embedded chunk's vector is in the index database too (the embedding cache, keyed by
model and chunk hash), so a process that has not loaded Chroma yet can answer a vector query
without it: a one-shot ``fireside search``, or the first search of a fresh ``fireside serve``,
would otherwise spend 0.7-1.2 s importing chromadb for a query that takes it ~2 ms. Reading
the vectors costs ~25 ms per 1,000 chunks and scoring them is one matrix product (exact, not
approximate like HNSW). The matrix of the index searched last is kept until its file changes.

Above ``EXACT_MAX`` chunks, or once Chroma is loaded in this process (the embedding pass
opened it), queries go to Chroma as before.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from indexer.lexical import LexicalIndex

EXACT_MAX = 50_000  # ~75 MB of float32 at 384 dimensions; beyond it reading costs > 1 s
# (the index it was read from, (model, change key), ids, matrix): one index at a time
_CACHE: list[tuple[LexicalIndex, tuple[str, tuple[int, int]], Any, Any]] = []
_LOCK = threading.Lock()


def usable(embedded: int) -> bool:
    """Whether to scan rather than ask Chroma: Chroma not loaded here and few enough chunks."""
    return "chromadb" not in sys.modules and 0 < embedded <= EXACT_MAX


def nearest(lex: LexicalIndex, model: str, vector: Any, n: int) -> list[tuple[int, float]]:
    """(chunk id, cosine distance) of the ``n`` nearest embedded chunks, nearest first."""
    import numpy as np

    ids, matrix = _matrix(lex, model)
    if not len(ids):
        return []
    scores = matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)
    n = min(n, len(ids))
    top = np.argpartition(-scores, n - 1)[:n] if n < len(ids) else np.arange(len(ids))
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(ids[i]), float(1.0 - scores[i])) for i in top]


def as_matrix(blobs: Sequence[bytes]) -> Any:
    """Cached vectors (float32 bytes, as the embedding pass stores them) as one matrix, a row
    each."""
    import numpy as np

    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def _matrix(lex: LexicalIndex, model: str) -> tuple[Any, Any]:
    import numpy as np

    key = (model, lex.change_key())
    with _LOCK:
        if _CACHE and _CACHE[0][0] is lex and _CACHE[0][1] == key:
            return _CACHE[0][2], _CACHE[0][3]
        rows = lex.embedded_vectors(model)
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        matrix = as_matrix([row[1] for row in rows])
        _CACHE[:] = [(lex, key, ids, matrix)]
        return ids, matrix
