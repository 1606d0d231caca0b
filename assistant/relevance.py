"""A relevance floor for code context: which retrieved chunks a question really calls for.

An index always returns its best hits, even for "hello" or "What is 2+2?", and a small model
is distracted (and slowed) by code it does not need. The floor is decided from the question's
shape and lexical evidence in each chunk, not from the index's scores (their scale depends on
the ranking: BM25, vectors, fused ranks):

* the question's *terms*: words that carry meaning (not stop words, greetings or chat
  filler, at least three letters) and code-like tokens (``load_config``, ``app.py``,
  ``ParseError``, ``utils/strings``);
* no terms (a greeting, arithmetic, "thanks!"): no chunks;
* a question about the code (it names an identifier or path, or says code, function, file,
  bug…): the index's hits as ranked (the ranking knows synonyms the words do not);
* any other question: only chunks that contain all of its terms (one or two) or 60 % of
  them (a general question rarely matches code by accident, and then gets none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.types import Hit



def _words(text: str) -> list[str]:
    return text.split()


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*[A-Za-z0-9_]|[A-Za-z]")
_CODE_TOKEN = re.compile(
    r"_|[a-z][A-Z]|\.[A-Za-z]{1,5}$|/|\(\)|::|->"  # snake, camelCase, file.ext, a/b, f(), a::b
)
CODE_WORDS = frozenset(_words("""
    code codebase repo repository project source function functions method methods class classes
    module modules file files folder directory variable variables bug bugs error errors
    exception traceback stack test tests import imports implement implemented implementation
    defined define definition call calls called caller callers config configuration parse
    parser api endpoint schema struct enum interface script build compile refactor
    """))
STOP_WORDS = frozenset(_words("""
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can cannot could did didn do does doesn doing don down
    during each few for from further had has have having he her here hers herself him himself
    his how i if in into is isn it its itself just let me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was wasn we were weren what when where which while who whom why will
    with would you your yours yourself yourselves
    hello hi hey hiya howdy greetings thanks thank thx please pls ok okay yes yeah yep nope
    good morning afternoon evening night bye goodbye cheers welcome sorry sure great nice cool
    say tell give show explain describe answer question help want need like know think mean
    means really also maybe well much many lot lots thing things something anything way
    one two three four five six seven eight nine ten plus minus times equal equals
    short long brief briefly simple simply quick quickly sentence sentences word words
    """))


@dataclass(frozen=True)
class Query:
    """A question's terms and whether it is about the code."""

    terms: tuple[str, ...]
    about_code: bool


def query_of(question: str) -> Query:
    """The terms of ``question`` (lower case, in order, no repeats) and its shape."""
    terms: list[str] = []
    about_code = False
    for raw in _WORD.findall(question):
        token = raw.strip("./-")
        word = token.lower()
        if not word:
            continue
        code_like = bool(_CODE_TOKEN.search(token))
        if code_like or word in CODE_WORDS:
            about_code = True
        if (code_like or (len(word) >= 3 and word not in STOP_WORDS)) and word not in terms:
            terms.append(word)
    return Query(tuple(terms), about_code)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def evidence(terms: Sequence[str], hit: Hit) -> int:
    """How many of ``terms`` occur (case-insensitive, simple stems) in the chunk's text,
    path or symbol."""
    haystack = " ".join((hit.text or hit.snippet, hit.path, hit.symbol or "")).lower()
    found = 0
    for term in terms:
        parts = [p for p in re.split(r"[./_-]", term) if len(p) >= 3] if "/" in term else []
        if term in haystack or _stem(term) in haystack or (
            parts and all(_stem(p) in haystack for p in parts)
        ):
            found += 1
    return found


def relevant(question: str, hits: Sequence[Hit]) -> tuple[list[Hit], int]:
    """The hits the question calls for (in the index's order), and how many were left out."""
    query = query_of(question)
    if not hits:
        return [], 0
    if not query.terms:
        return [], len(hits)
    if query.about_code:
        kept = list(hits)  # the index's ranking decides (it knows synonyms words do not)
    else:
        count = len(query.terms)
        need = count if count <= 2 else -(-count * 3 // 5)  # all of 1-2 terms, else 60 %
        kept = [hit for hit in hits if evidence(query.terms, hit) >= need]
    return kept, len(hits) - len(kept)
