"""Turn free text (a word, a question, a pasted bug report) into weighted FTS5 terms.

What points at code counts more than prose: names in a stack trace frame
(``File "x/y.py", line 3, in f``), file paths, dotted names (``pkg.mod.func``), identifiers
(snake_case, camelCase, digits), error class names, and anything inside backticks or a fenced
code block. Each identifier is kept whole (as the index tokenizes it: ``parse_config`` is the
phrase "parse config", ``parseConfig`` the token "parseconfig") and also split into its words,
which match the index's ``words`` column (camelCase parts) and ordinary text.

Weights are expressed by repeating a phrase in the OR query: FTS5's bm25() sums over the
query's phrases, so a phrase written three times counts three times. Nothing is cut at a fixed
number of terms; instead a report's prose words are capped (``MAX_PROSE``, the rarer-looking
longer words kept) while code terms are all kept up to ``MAX_CODE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CODE = 120  # distinct code terms kept from one query (a long traceback stays bounded)
MAX_PROSE = 60  # distinct prose words kept from one query
MAX_CHARS = 100_000

# Weights (repeats of a phrase in the OR query). Prose is the unit. A frame or a path names
# the file outright, so it counts most; a name written as code (backticks, a code block, a
# call) is a deliberate pointer; a bare identifier-shaped word in prose is nearly as strong.
W_PROSE = 1
W_IDENT = 2
W_CODE = 3
W_PATH = 3
W_FRAME = 4

_STOPWORD_TEXT = """a an and are as at be been but by can could did do does doing for from
had has have how i if in into is it its me my no not of on or our so than that the their them
then there these they this to too was we were what when where which while who why will with
would you your just also get got after before should please here hi hello thanks thank
i'm i've it's don't doesn't like one use using used way want need some any all more most
very only same other such each both"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_FENCE = re.compile(r"```([^\n]*)\n(.*?)(?:```|$)", re.S)
# Fenced blocks tagged with a data or shell language hold the user's input or output (a SQL
# query, a YAML file, a terminal session), not the project's names: their words count as prose.
_DATA_FENCES = frozenset({
    "sql", "json", "yaml", "yml", "xml", "html", "csv", "text", "txt", "console", "shell",
    "bash", "sh", "ini", "toml", "markdown", "md", "output", "log",
})
_TICKS = re.compile(r"`([^`\n]{1,200})`")
_FRAME = re.compile(r'File "([^"\n]{1,400})", line \d+(?:, in ([\w<>.]+))?')
_PATH = re.compile(r"(?<![\w/])((?:[\w.-]+/)+[\w.-]+\.\w{1,5}|[\w-]+\.(?:py|pyi|js|ts|go|rs"
                   r"|java|rb|c|h|cpp|toml|cfg|ini|yaml|yml|json))\b")
_DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_ERROR = re.compile(r"\b\w*(?:Error|Exception|Warning)\b")
_WORD = re.compile(r"\w+", re.UNICODE)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@dataclass
class QueryTerms:
    """Weighted phrases (each a space-separated sequence of lowercase index tokens)."""

    weights: dict[str, int] = field(default_factory=dict)
    code: set[str] = field(default_factory=set)  # phrases that came from code-like spans
    paths: list[str] = field(default_factory=list)  # file paths and frames the text names
    stopwords: set[str] = field(default_factory=set)  # stop words seen (may be identifiers)

    def add(self, phrase: str, weight: int, code: bool = False) -> None:
        phrase = phrase.strip()
        if not phrase or len(phrase) > 120:
            return
        if weight > self.weights.get(phrase, 0):
            self.weights[phrase] = weight
        if code:
            self.code.add(phrase)

    @property
    def is_report(self) -> bool:
        """A query that reads like a bug report or code (not a one-word lookup)."""
        return bool(self.code) or len(self.weights) >= 8


def split_identifier(name: str) -> list[str]:
    """``parseConfigHTTP2_value`` → ["parse", "config", "http", "2", "value"] (lowercase)."""
    parts: list[str] = []
    for piece in name.split("_"):
        parts.extend(m.lower() for m in _CAMEL.findall(piece))
    return [p for p in parts if p]


def is_identifier(word: str) -> bool:
    """snake_case, camelCase or a name with digits: written as code, not prose."""
    if "_" in word.strip("_"):
        return True
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return True
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


def extract(text: str) -> QueryTerms:
    """The weighted terms of ``text`` (see the module docstring)."""
    text = text[:MAX_CHARS]
    terms = QueryTerms()
    for frame in _FRAME.finditer(text):
        _add_path(terms, frame.group(1), W_FRAME)
        if frame.group(2) and not frame.group(2).startswith("<"):
            _add_name(terms, frame.group(2), W_FRAME)
    fences = [(m.group(1).strip().lower(), m.group(2)) for m in _FENCE.finditer(text)]
    code_spans = [body for tag, body in fences if tag not in _DATA_FENCES]
    code_spans += [m.group(1) for m in _TICKS.finditer(text)]
    for span in code_spans:
        for word in _WORD.findall(span):
            if not word.isdigit():
                _add_name(terms, word, W_CODE)
    data = " ".join(body for tag, body in fences if tag in _DATA_FENCES)
    prose = _FENCE.sub(" ", text) + "\n" + data
    for match in _PATH.finditer(prose):
        _add_path(terms, match.group(1), W_PATH)
    for match in _DOTTED.finditer(prose):
        dotted = match.group(0)
        if not _looks_like_sentence_end(dotted):
            for part in dotted.split("."):
                _add_name(terms, part, W_IDENT)
    for match in _CALL.finditer(prose):
        _add_name(terms, match.group(1), W_CODE)
    for match in _ERROR.finditer(prose):
        _add_name(terms, match.group(0), W_CODE)
    prose_words: dict[str, int] = {}
    for word in _WORD.findall(prose):
        if is_identifier(word):
            _add_name(terms, word, W_IDENT)
            continue
        low = word.lower()
        if low in STOPWORDS:
            terms.stopwords.add(low)
        elif len(low) >= 2 and not low.isdigit() and len(low) <= 40:
            prose_words[low] = prose_words.get(low, 0) + 1
    _add_prose(terms, prose_words)
    _cap_code(terms)
    return terms


def _looks_like_sentence_end(dotted: str) -> bool:
    """``works.The`` or ``e.g`` are prose, not a dotted name."""
    parts = dotted.split(".")
    return len(parts) == 2 and (parts[1][:1].isupper() and parts[1][1:].islower()
                                or len(parts[0]) == 1 or len(parts[1]) == 1)


def _add_name(terms: QueryTerms, name: str, weight: int) -> None:
    """An identifier: whole (as indexed) plus its words at a lower weight."""
    name = name.strip("_")
    if not name or len(name) > 80:
        return
    snake = [p.lower() for p in name.split("_") if p]
    if not snake:
        return
    whole = " ".join(snake)  # the index splits on underscores: the phrase of the parts
    if len(whole) >= 2 and whole not in STOPWORDS:
        terms.add(whole, weight, code=True)
    elif whole in STOPWORDS:
        terms.stopwords.add(whole)
    parts = split_identifier(name)
    if len(parts) > 1:
        for part in parts:
            if len(part) >= 2 and part not in STOPWORDS and not part.isdigit():
                terms.add(part, max(1, weight - 1))


def _add_path(terms: QueryTerms, path: str, weight: int) -> None:
    path = path.replace("\\", "/")
    terms.paths.append(path)
    pieces = [p for p in path.split("/") if p][-3:]  # the last folders and the file name
    for n, piece in enumerate(pieces):
        stem = piece.rsplit(".", 1)[0] if n == len(pieces) - 1 else piece
        if stem in ("site-packages", "lib", "src", "usr", "python3") or stem.startswith("python"):
            continue
        _add_name(terms, stem, weight if n == len(pieces) - 1 else max(1, weight - 1))


def _add_prose(terms: QueryTerms, words: dict[str, int]) -> None:
    """Prose words at weight 1; over ``MAX_PROSE``, longer and repeated words are kept."""
    ranked = sorted(words, key=lambda w: -(min(len(w), 12) + 2 * min(words[w], 3)))
    for word in ranked[:MAX_PROSE]:
        terms.add(word, W_PROSE)


def _cap_code(terms: QueryTerms) -> None:
    code = [p for p in terms.weights if p in terms.code]
    if len(code) <= MAX_CODE:
        return
    keep = set(sorted(code, key=lambda p: -terms.weights[p])[:MAX_CODE])
    for phrase in code:
        if phrase not in keep:
            del terms.weights[phrase]
            terms.code.discard(phrase)


def match_expression(terms: QueryTerms, keep_stopwords: set[str] | None = None) -> str | None:
    """The FTS5 MATCH string: each phrase quoted, repeated by its weight, OR-ed."""
    weights = dict(terms.weights)
    for word in keep_stopwords or ():
        weights.setdefault(word, W_IDENT)
    if not weights:
        return None
    out: list[str] = []
    for phrase, weight in weights.items():
        quoted = '"' + phrase.replace('"', " ") + '"'
        out.extend([quoted] * weight)
    return " OR ".join(out)
