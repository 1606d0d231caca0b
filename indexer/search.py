"""``ProjectIndex.search``: lexical (FTS5 BM25), vector (Chroma) or hybrid (RRF of both)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from assistant.errors import IndexerError
from indexer.hybrid import fusion_weights, glob_filter, make_hits, rrf, vector_floor
from indexer.lexical import ChunkRow
from indexer.types import Hit, SearchMode

if TYPE_CHECKING:
    from indexer.project import ProjectIndex

log = logging.getLogger(__name__)

MAX_K = 200
QUERY_WAIT_S = 5.0  # a query waits this long for the model while chunks are being embedded


def run_search(
    project: ProjectIndex, query: str, k: int, mode: SearchMode, path_glob: str | None
) -> list[Hit]:
    if mode not in ("hybrid", "lexical", "vector"):
        raise IndexerError(f"unknown search mode {mode!r}; use hybrid, lexical or vector")
    project.last_note = None
    lex = project._lexical()
    k = max(1, min(int(k), MAX_K))
    if not query or not query.strip():
        return []
    accept = glob_filter(path_glob)
    depth = max(k * 3, 30)
    vector_rows: list[tuple[ChunkRow, float]] | None = None
    if mode in ("vector", "hybrid"):
        try:
            vector_rows = _vector_rows(project, query, depth if mode == "hybrid" else k * 2,
                                       accept)
        except IndexerError as exc:
            project.last_note = f"{exc}; showing lexical results"
    if vector_rows is None or mode == "lexical" or (mode == "hybrid" and not vector_rows):
        rows = lex.search(query, k * 2, accept)
        return make_hits([(row, row.score) for row in rows], query, k)
    if mode == "vector":
        return make_hits(vector_rows, query, k)
    lexical = lex.search(query, depth, accept)
    floor = vector_floor([score for _, score in vector_rows])
    voting = [row for row, score in vector_rows if score >= floor]
    by_id = {row.id: row for row in lexical}
    by_id.update({row.id: row for row in voting})
    fused = rrf([[row.id for row in lexical], [row.id for row in voting]],
                fusion_weights(query))
    return make_hits([(by_id[i], score) for i, score in fused], query, k)


def _vector_rows(
    project: ProjectIndex, query: str, limit: int, accept: object
) -> list[tuple[ChunkRow, float]]:
    """Nearest chunks by cosine similarity (score = 1 - distance), best first."""
    lex = project._lexical()
    _files, chunks, embedded = lex.counts()
    if embedded == 0:
        raise IndexerError(
            "no embeddings yet" + (f" ({chunks} chunks pending)" if chunks else "")
        )
    if embedded < chunks:
        project.last_note = f"{chunks - embedded} chunks still wait for embeddings"
    vector = project.embedder().encode([query[:4000]], wait=QUERY_WAIT_S)[0]
    fetch = limit * 4 if accept else limit
    rows: list[tuple[ChunkRow, float]] = []
    found = project.vectors().query(vector, fetch)
    by_id = lex.chunks_by_id([chunk_id for chunk_id, _ in found])
    for chunk_id, distance in found:
        row = by_id.get(chunk_id)
        if row is None:  # a vector whose chunk is gone (deletion not yet applied)
            continue
        if accept is not None and not accept(row.path):  # type: ignore[operator]
            continue
        rows.append((row, 1.0 - float(distance)))
        if len(rows) >= limit:
            break
    return rows
