"""``ProjectIndex.search``: lexical (FTS5 BM25), vector (Chroma, or an exact scan) or hybrid
(score fusion of both: :mod:`indexer.hybrid`), over chunks or (``search_files``) over files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from assistant.errors import IndexerError
from indexer import files as file_rank
from indexer import vectors_exact
from indexer.hybrid import fuse_scores, glob_filter, lexical_share, make_hits, vector_floor
from indexer.lexical import CANDIDATES, ChunkRow
from indexer.passages import query_passages
from indexer.query_terms import QueryTerms, extract
from indexer.types import FileHit, Hit, SearchMode

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from indexer.parts import IndexParts

log = logging.getLogger(__name__)

MAX_K = 200
QUERY_WAIT_S = 5.0  # a query waits this long for the model while chunks are being embedded
VECTOR_DEPTH = 150  # chunks read from the vector store for a file-level search
FUSED_LEXICAL_FILES = 50  # lexical files whose vector score a file-level hybrid looks up
CHUNKS_PER_FILE = 3  # best chunks shown under each file


def _check(mode: str) -> None:
    if mode not in ("hybrid", "lexical", "vector"):
        raise IndexerError(f"unknown search mode {mode!r}; use hybrid, lexical or vector")


def _start(
    project: IndexParts, query: str, k: int, mode: SearchMode, path_glob: str | None
) -> tuple[int, Callable[[str], bool] | None, QueryTerms] | None:
    """What every search does first: check the mode, open the index (IndexerError when there
    is none), clamp ``k``; None for an empty query, else (k, path filter, query terms)."""
    _check(mode)
    project.last_note = None
    project.lexical()
    if not query or not query.strip():
        return None
    return max(1, min(int(k), MAX_K)), glob_filter(path_glob), extract(query)


def run_search(
    project: IndexParts, query: str, k: int, mode: SearchMode, path_glob: str | None
) -> list[Hit]:
    started = _start(project, query, k, mode, path_glob)
    if started is None:
        return []
    k, accept, terms = started
    depth = max(k * 3, 30)
    vector_rows: list[tuple[ChunkRow, float]] | None = None
    if mode in ("vector", "hybrid"):
        try:
            vector = query_vector(project, query)
            vector_rows = _vector_rows(project, vector, depth if mode == "hybrid" else k * 2,
                                       accept)
        except IndexerError as exc:
            project.last_note = f"{exc}; showing lexical results"
    if vector_rows is None or mode == "lexical" or (mode == "hybrid" and not vector_rows):
        rows = lexical_rows(project, query, terms, k * 2, accept)
        return make_hits(rows, query, k)
    if mode == "vector":
        return make_hits(vector_rows, query, k)
    lexical = lexical_rows(project, query, terms, depth, accept)
    floor = vector_floor([score for _, score in vector_rows])
    similar = {row.id: (row.path, score) for row, score in vector_rows}
    missing = [row.id for row, _ in lexical if row.id not in similar]
    similar.update({chunk_id: (path, score) for chunk_id, path, score
                    in _similarities(project, vector, ids=missing)})
    vector_scores = {chunk_id: score * file_rank.prior(path, terms)
                     for chunk_id, (path, score) in similar.items() if score >= floor}
    by_id = {row.id: row for row, _ in vector_rows}
    by_id.update({row.id: row for row, _ in lexical})
    fused = fuse_scores({row.id: score for row, score in lexical},
                        vector_scores,
                        lexical_share(query))
    return make_hits([(by_id[i], score) for i, score in fused], query, k)


def lexical_rows(
    project: IndexParts, query: str, terms: QueryTerms, limit: int,
    accept: Callable[[str], bool] | None,
) -> list[tuple[ChunkRow, float]]:
    """BM25 chunks re-ranked by the per-file prior (code before docs and tests for reports)."""
    rows = project.lexical().search(query, max(limit, CANDIDATES), accept)
    scored = [(row, row.score * file_rank.prior(row.path, terms)) for row in rows]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def run_file_search(
    project: IndexParts, query: str, k: int, mode: SearchMode, path_glob: str | None
) -> list[FileHit]:
    """The best ``k`` files, each with its best chunks (see :mod:`indexer.files`)."""
    started = _start(project, query, k, mode, path_glob)
    if started is None:
        return []
    k, accept, terms = started
    vector_files = None
    vector = None
    if mode in ("vector", "hybrid"):
        try:
            vector = query_vector(project, query)
            rows = _vector_rows(project, vector, VECTOR_DEPTH, accept)
            vector_files = file_rank.aggregate([(r.path, s, (r, s)) for r, s in rows])
        except IndexerError as exc:
            project.last_note = f"{exc}; showing lexical results"
    lexical_files = []
    if mode != "vector" or vector_files is None:
        rows = lexical_rows(project, query, terms, CANDIDATES, accept)
        lexical_files = file_rank.aggregate([(r.path, s, (r, s)) for r, s in rows])
    if vector_files is None or mode == "lexical":
        ranked = lexical_files
    elif mode == "vector":
        ranked = vector_files
    else:
        ranked = _fuse_files(project, lexical_files, vector_files, vector, terms,
                             lexical_share(query))
    return [
        FileHit(path, round(score, 6), tuple(make_hits(items, query, CHUNKS_PER_FILE)))
        for path, score, items in ranked[:k]
    ]


def _fuse_files(
    project: IndexParts, lexical: list[tuple[str, float, list]],
    vector: list[tuple[str, float, list]], query_vec: Any, terms: QueryTerms, share: float,
) -> list[tuple[str, float, list]]:
    """Score fusion of the two file rankings (:mod:`indexer.hybrid`). The vector side gets the
    same per-file prior as the lexical one; a lexical candidate outside the vector top list
    gets its vector score from all of its own chunks' cached vectors."""
    vector_scores = {path: score * file_rank.prior(path, terms) for path, score, _ in vector}
    missing = [path for path, _, _ in lexical[:FUSED_LEXICAL_FILES]
               if path not in vector_scores]
    own = file_rank.aggregate([(path, score, None) for _, path, score
                               in _similarities(project, query_vec, paths=missing)])
    for path, score, _ in own:
        vector_scores[path] = score * file_rank.prior(path, terms)
    fused = fuse_scores({path: score for path, score, _ in lexical}, vector_scores,
                        share)
    items: dict[str, list] = {}
    for path, _, rows in lexical + vector:
        items.setdefault(path, []).extend(rows)
    return [(path, score, _dedupe(items[path])) for path, score in fused]


def _similarities(
    project: IndexParts, query_vec: Any, *, paths: Sequence[str] = (), ids: Sequence[int] = ()
) -> list[tuple[int, str, float]]:
    """(chunk id, path, cosine similarity) of the embedded chunks of these files or ids, read
    from the index's vector cache (a few ms for a few thousand chunks)."""
    if not paths and not ids:
        return []
    import numpy as np

    found = project.lexical().vectors_of(project.embedding_model, paths=paths, ids=ids)
    if not found:
        return []
    matrix = vectors_exact.as_matrix([blob for _, _, blob in found])
    sims = matrix @ np.asarray(query_vec, dtype=np.float32)
    return [(chunk_id, path, float(sim))
            for (chunk_id, path, _), sim in zip(found, sims, strict=True)]


def _dedupe(items: list) -> list:
    seen: set[int] = set()
    out = []
    for row, score in items:
        if row.id not in seen:
            seen.add(row.id)
            out.append((row, score))
    return out


def query_vector(project: IndexParts, query: str) -> Any:
    """The query's embedding: the normalised mean of its passages' (:mod:`indexer.passages`).
    IndexerError when nothing is embedded yet (a note says so while embedding is under way)."""
    import numpy as np

    _files, chunks, embedded = project.lexical().counts()
    if embedded == 0:
        raise IndexerError(
            "no embeddings yet" + (f" ({chunks} chunks pending)" if chunks else "")
        )
    if embedded < chunks:
        project.last_note = f"{chunks - embedded} chunks still wait for embeddings"
    rows = np.asarray(project.embedder().encode(query_passages(query), wait=QUERY_WAIT_S),
                      dtype=np.float32)
    mean = rows.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def _vector_rows(
    project: IndexParts, vector: Any, limit: int, accept: object
) -> list[tuple[ChunkRow, float]]:
    """Nearest chunks to ``vector`` by cosine similarity (score = 1 - distance), best first."""
    lex = project.lexical()
    _files, _chunks, embedded = lex.counts()
    fetch = limit * 4 if accept else limit
    rows: list[tuple[ChunkRow, float]] = []
    if vectors_exact.usable(embedded):
        found = vectors_exact.nearest(lex, project.embedding_model, vector, fetch)
    else:
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
