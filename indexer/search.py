"""``ProjectIndex.search``: lexical (FTS5 BM25), vector (Chroma) or hybrid (RRF of both), over
chunks or (``search_files``) over files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from assistant.errors import IndexerError
from indexer import files as file_rank
from indexer import vectors_exact
from indexer.hybrid import (
    FILE_WEIGHTS,
    fusion_weights,
    glob_filter,
    make_hits,
    rrf,
    vector_floor,
)
from indexer.lexical import CANDIDATES, ChunkRow
from indexer.query_terms import QueryTerms, extract
from indexer.types import FileHit, Hit, SearchMode

if TYPE_CHECKING:
    from collections.abc import Callable

    from indexer.parts import IndexParts

log = logging.getLogger(__name__)

MAX_K = 200
QUERY_WAIT_S = 5.0  # a query waits this long for the model while chunks are being embedded
VECTOR_DEPTH = 150  # chunks read from the vector store for a file-level search
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
            vector_rows = _vector_rows(project, query, depth if mode == "hybrid" else k * 2,
                                       accept)
        except IndexerError as exc:
            project.last_note = f"{exc}; showing lexical results"
    if vector_rows is None or mode == "lexical" or (mode == "hybrid" and not vector_rows):
        rows = lexical_rows(project, query, terms, k * 2, accept)
        return make_hits(rows, query, k)
    if mode == "vector":
        return make_hits(vector_rows, query, k)
    lexical = [row for row, _ in lexical_rows(project, query, terms, depth, accept)]
    floor = vector_floor([score for _, score in vector_rows])
    voting = [row for row, score in vector_rows if score >= floor]
    by_id = {row.id: row for row in lexical}
    by_id.update({row.id: row for row in voting})
    fused = rrf([[row.id for row in lexical], [row.id for row in voting]],
                fusion_weights(query))
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
    if mode in ("vector", "hybrid"):
        try:
            rows = _vector_rows(project, query, VECTOR_DEPTH, accept)
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
        ranked = _fuse_files(lexical_files, vector_files, terms)
    return [
        FileHit(path, round(score, 6), tuple(make_hits(items, query, CHUNKS_PER_FILE)))
        for path, score, items in ranked[:k]
    ]


def _fuse_files(
    lexical: list[tuple[str, float, list]], vector: list[tuple[str, float, list]],
    terms: QueryTerms,
) -> list[tuple[str, float, list]]:
    """Weighted RRF of the two file rankings (weights and why: ``hybrid.FILE_WEIGHTS``); the
    vector side gets the same per-file prior as the lexical one, applied to its similarity."""
    w_lex, w_vec = FILE_WEIGHTS
    vector = sorted(vector, key=lambda row: -row[1] * file_rank.prior(row[0], terms))
    fused = rrf([[path for path, _, _ in lexical], [path for path, _, _ in vector]],
                [w_lex, w_vec])
    items: dict[str, list] = {}
    for path, _, rows in lexical + vector:
        items.setdefault(path, []).extend(rows)
    return [(path, score, _dedupe(items[path])) for path, score in fused]


def _dedupe(items: list) -> list:
    seen: set[int] = set()
    out = []
    for row, score in items:
        if row.id not in seen:
            seen.add(row.id)
            out.append((row, score))
    return out


def _vector_rows(
    project: IndexParts, query: str, limit: int, accept: object
) -> list[tuple[ChunkRow, float]]:
    """Nearest chunks by cosine similarity (score = 1 - distance), best first."""
    lex = project.lexical()
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
