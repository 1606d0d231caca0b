"""Ranking helpers: score fusion of the lexical and vector sides, the path glob filter, hits
with snippets.

Hybrid ranking mixes scores, not ranks: each candidate's BM25 score over the best one's and
its vector similarity over the best one's, ``share : 1 - share``. Rank fusion (RRF) of two
lists lets an item that both lists place mid-way (two votes at rank 15) beat the item BM25
ranks first by a wide margin that the vector list happens to miss; scores keep that margin.
Every lexical candidate gets its real similarity (from its cached vector), so nothing loses
for being absent from the vector top list. Vector candidates far below the best one (or under
an absolute floor) count as no evidence, since a vector search always returns *something*.

The share: on the dev set of real bug reports (docs/retrieval.md), file-level hybrid found the
right file in its top 5 for 20 of 22 reports at any share from 0.3 to 0.5 (RRF: 18), and
chunk-level hybrid its top-1 file for 17 (RRF: 12). 0.5, the edge of that plateau with the best
top-3, gives neither side the last word, the safe choice for repositories not measured: it is
the share for reports and code-like queries. A prose question ("where do we retry failed
calls") is the vector side's ground, so it leans there (``PROSE_SHARE``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from indexer.lexical import ChunkRow
from indexer.types import Hit

K = TypeVar("K", bound=Hashable)
LEXICAL_SHARE = 0.5  # of a fused score, for reports and code-like queries (see above)
PROSE_SHARE = 0.35  # for a query in plain words
MIN_SIMILARITY = 0.1
RELATIVE_FLOOR = 0.5
_CODE_TOKEN = re.compile(r"\w_\w|[a-z][A-Z]|\d|\w\.\w|[()\[\]{}:/\\]")
SNIPPET_LINES = 3
_WORD = re.compile(r"\w+")


def fuse_scores(
    lexical: dict[K, float], vector: dict[K, float], lexical_share: float
) -> list[tuple[K, float]]:
    """Convex mix of the two sides' scores, each divided by its best (a missing score is 0);
    best first."""
    top_lex = max(lexical.values(), default=0.0)
    top_vec = max(vector.values(), default=0.0)
    fused = {}
    for key in {**lexical, **vector}:
        lex = lexical.get(key, 0.0) / top_lex if top_lex > 0 else 0.0
        vec = max(0.0, vector.get(key, 0.0)) / top_vec if top_vec > 0 else 0.0
        fused[key] = lexical_share * lex + (1.0 - lexical_share) * vec
    return sorted(fused.items(), key=lambda pair: -pair[1])


def looks_like_code(query: str) -> bool:
    """True when the query names identifiers, paths or error codes (snake_case, camelCase,
    digits, dots, brackets), where exact matches matter more than meaning."""
    return bool(_CODE_TOKEN.search(query))


def lexical_share(query: str) -> float:
    """The lexical side's share of a fused score: even for code-like queries, less for prose."""
    return LEXICAL_SHARE if looks_like_code(query) else PROSE_SHARE


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
