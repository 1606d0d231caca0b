"""Ranking helpers: reciprocal-rank fusion, the path glob filter, hits with snippets.

Hybrid ranking is weighted RRF (k=60) of the BM25 list and the vector list. Two refinements
keep small or one-sided cases sane: vector candidates far below the best one (or under an
absolute floor) do not vote, since a vector search always returns *something*; and a query
that looks like code (identifiers, error codes, paths) weighs the lexical list fully and the
vector list at ``LEAN``, prose the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from indexer.lexical import ChunkRow
from indexer.types import Hit

K = TypeVar("K", bound=Hashable)
RRF_K = 60
LEAN = 0.7  # the weight of the list a query's style favours less
# File-level hybrid (``--files``): weighted RRF of the lexical and the vector file rankings.
# Tuned on the dev set of real bug reports (docs/retrieval.md): see the note there.
FILE_WEIGHTS = (1.0, 1.0)
MIN_SIMILARITY = 0.1
RELATIVE_FLOOR = 0.5
_CODE_TOKEN = re.compile(r"\w_\w|[a-z][A-Z]|\d|\w\.\w|[()\[\]{}:/\\]")
SNIPPET_LINES = 3
_WORD = re.compile(r"\w+")


def rrf(
    lists: Sequence[Sequence[K]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[K, float]]:
    """Reciprocal-rank fusion: an id scores sum(weight / (k + rank)), rank from 1; best first."""
    scores: dict[K, float] = {}
    for n, ranked in enumerate(lists):
        weight = weights[n] if weights else 1.0
        for rank, item in enumerate(ranked, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def looks_like_code(query: str) -> bool:
    """True when the query names identifiers, paths or error codes (snake_case, camelCase,
    digits, dots, brackets), where exact matches matter more than meaning."""
    return bool(_CODE_TOKEN.search(query))


def fusion_weights(query: str) -> tuple[float, float]:
    """(lexical, vector) weights: code-like queries lean lexical, prose leans on meaning."""
    return (1.0, LEAN) if looks_like_code(query) else (LEAN, 1.0)


def vector_floor(scores: Sequence[float]) -> float:
    """Similarity under which a vector candidate is noise, not evidence (for fusion only):
    below ``MIN_SIMILARITY`` or under half of the best candidate's."""
    return max(MIN_SIMILARITY, (max(scores) if scores else 0.0) * RELATIVE_FLOOR)


def glob_filter(path_glob: str | None) -> Callable[[str], bool] | None:
    """A predicate for relative paths (gitignore-style glob: ``src/**``, ``*.py``)."""
    if not path_glob or not path_glob.strip():
        return None
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines([path_glob.strip()])
    return spec.match_file


def make_hits(rows: Sequence[tuple[ChunkRow, float]], query: str, k: int) -> list[Hit]:
    """Hits for ranked rows, dropping a row whose lines overlap a better hit in the same file."""
    hits: list[Hit] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    for row, score in rows:
        spans = taken.setdefault(row.path, [])
        if any(row.start_line <= end and start <= row.end_line for start, end in spans):
            continue
        spans.append((row.start_line, row.end_line))
        body = _body(row.text)
        hits.append(
            Hit(
                path=row.path, start_line=row.start_line, end_line=row.end_line,
                score=round(score, 6), snippet=snippet(body, query), text=body,
                symbol=row.symbol,
            )
        )
        if len(hits) >= k:
            break
    return hits


def _body(text: str) -> str:
    """A chunk's code without its header line."""
    return text.split("\n", 1)[1] if text.startswith("# ") and "\n" in text else text


def snippet(body: str, query: str, lines: int = SNIPPET_LINES) -> str:
    """A few lines of the chunk: around the first line that has a query word, else the top."""
    rows = body.split("\n")
    words = {w.lower() for w in _WORD.findall(query[:2000]) if len(w) > 2}
    first = 0
    if words:
        for i, line in enumerate(rows):
            if words & {w.lower() for w in _WORD.findall(line)}:
                first = i
                break
    while first < len(rows) - 1 and not rows[first].strip():
        first += 1
    picked = [line.rstrip()[:200] for line in rows[first : first + lines]]
    return "\n".join(picked).strip("\n")
