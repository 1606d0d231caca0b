"""Files as the unit: per-file priors and the aggregation of chunk evidence into file scores.

A file's score is its best chunk's score plus a bounded bonus for more matching chunks
(``s1 + min(CAP * s1, sum_i DECAY**(i-1) * s_i * BONUS)``): one strong chunk is what finds the
file, and a second and third matching chunk are real but diminishing evidence. The cap keeps a
long file with many weak mentions (a changelog, a test module) from outscoring a short one
whose single chunk matches well.

Priors, for a query that reads like a bug report or code (not a one-word lookup): a doc,
changelog or other non-code file counts ``DOC_PRIOR`` of its score, a test file
``TEST_PRIOR`` unless the query names that test file. Reports describe behaviour in the
library's own words, so the docs and tests that repeat those words crowd out the module that
needs the fix; a user asking about a test says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from indexer.chunk import language_for
from indexer.query_terms import QueryTerms

BONUS = 0.5  # share of the next chunks' scores added to the best one
DECAY = 0.5  # each further chunk counts half the one before
CAP = 0.5  # the bonus is at most half the best chunk's score
MAX_CHUNKS = 5  # chunks of one file that add evidence
DOC_PRIOR = 0.5
TEST_PRIOR = 0.7

_TEST = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_tests?\.\w+$|(^|/)conftest\.py$")
_DOC_NAMES = re.compile(r"(^|/)(changelog|changes|history|news|authors|contributors)", re.I)

T = TypeVar("T")


def file_kind(path: str) -> str:
    """"test", "code" or "doc" (docs, changelogs, configs, data: anything not source code)."""
    low = path.lower()
    if _DOC_NAMES.search(low) or low.startswith(("doc/", "docs/")) or "/docs/" in low:
        return "doc"
    if language_for(path) is None:
        return "doc"
    if _TEST.search(low):
        return "test"
    return "code"


def names_file(terms: QueryTerms, path: str) -> bool:
    """True when the query names this file (its path, or its stem as a code term)."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    if any(path.endswith(p.lstrip("./")) or p.endswith(path) for p in terms.paths):
        return True
    return " ".join(p for p in stem.split("_") if p) in terms.code


def prior(path: str, terms: QueryTerms) -> float:
    """The multiplier for a file's lexical score (1.0 for code, or when the query is short)."""
    if not terms.is_report:
        return 1.0
    kind = file_kind(path)
    if kind == "code":
        return 1.0
    if kind == "test":
        return 1.0 if names_file(terms, path) else TEST_PRIOR
    return DOC_PRIOR


def aggregate(scored: Sequence[tuple[str, float, T]]) -> list[tuple[str, float, list[T]]]:
    """(path, chunk score, item) best first → (path, file score, items best first), best
    file first."""
    by_file: dict[str, list[tuple[float, T]]] = {}
    for path, score, item in scored:
        by_file.setdefault(path, []).append((score, item))
    out: list[tuple[str, float, list[T]]] = []
    for path, items in by_file.items():
        items.sort(key=lambda pair: -pair[0])
        scores = [max(0.0, s) for s, _ in items[:MAX_CHUNKS]]
        best = scores[0]
        bonus = sum(s * BONUS * DECAY ** n for n, s in enumerate(scores[1:]))
        out.append((path, best + min(CAP * best, bonus), [item for _, item in items]))
    out.sort(key=lambda row: -row[1])
    return out
