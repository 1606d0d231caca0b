"""Code context for a chat turn: chunks from the codebase index, within a token budget.

:class:`Retriever` wraps anything with the index's ``search(query, k, mode, path_glob)``
(an ``indexer.project.ProjectIndex``) and picks, for one question, the best chunks that fit
``[index] context_tokens`` and ``context_chunks``, never from a secret file. The result
(:class:`Retrieved`) holds a context block and the :class:`~assistant.events.Source` of each
chunk.

Where the chunks go: into the latest user message *as sent to the model* (before the
question), for that turn only — history keeps the question as typed, so old chunks never pile
up and the system prompt and earlier history stay a shared prefix for the local model's KV
cache (only the last question and answer are evaluated again next turn). Which sources a
turn used is saved with its answer.

Budget (see :func:`budget_for`): the chunks get at most ``context_tokens`` and at most half
the room left once the system prompt, the question and the answer's reserve are counted;
history fills the rest (oldest messages dropped first). Only when the question alone leaves
too little room are chunks dropped too, lowest-ranked first (``Orchestrator.fit_prompt``), so
the prompt never overflows the context.

Relevance (see :mod:`assistant.relevance`): chunks the question does not call for (a
greeting, ``What is 2+2?``) are left out, and :attr:`Retrieved.left_out` says how many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.events import Source
from assistant.relevance import relevant
from indexer.secret_files import is_secret_path

if TYPE_CHECKING:
    from assistant.config import IndexSettings
    from indexer.types import Hit
    from providers.base import ChatMessage

# Longest query sent to the index (a pasted bug report keeps its start, where the gist is).
MAX_QUERY_CHARS = 4000
# Candidates asked for per chunk wanted (some are secret, overlap, or do not fit).
OVERSAMPLE = 3
# A chunk cut to fit must keep at least this many lines to be worth sending.
MIN_LINES = 3
# Below this many free tokens no further chunk is tried.
MIN_ROOM = 24
# Tokens allowed for the blank line between sections (counts of parts are not exactly additive).
SEPARATOR_TOKENS = 2
EXAMPLE = "src/example/module.py:100-120"  # stands in for the first citation when counting

INSTRUCTION = (
    "Code from this project that may help (retrieved from its index; it may be incomplete "
    "or unrelated). When you use it, cite the source as path:lines, e.g. `{example}`."
)

CountTokens = Callable[[str], int]


class Searcher(Protocol):
    """What a retriever needs from an index (``indexer.project.ProjectIndex`` has it)."""

    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", path_glob: str | None = None
    ) -> list[Hit]: ...


@dataclass(frozen=True)
class Chunk:
    """One chunk chosen for a prompt: where it is from and its code (no header line)."""

    source: Source
    code: str


@dataclass(frozen=True)
class Retrieved:
    """The chunks for one turn, best first."""

    chunks: tuple[Chunk, ...] = ()
    tokens: int = 0  # estimated size of :attr:`block`
    left_out: int = 0  # chunks found but left out by the relevance floor (see relevance.py)

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(c.source for c in self.chunks)

    @property
    def block(self) -> str:
        """The text put before the question ("" when there are no chunks)."""
        return context_block(self.chunks)

    def without_last(self) -> Retrieved:
        """The same minus its lowest-ranked chunk (to make room in a tight context)."""
        return replace(self, chunks=self.chunks[:-1])


def estimate_tokens(text: str) -> int:
    """A cautious token estimate when no tokenizer is at hand (~3 characters a token)."""
    return (len(text) + 2) // 3 + 1


def token_counter(count_messages: Callable[[list[ChatMessage]], int] | None) -> CountTokens:
    """Tokens in a text, counted with a provider's ``count_tokens`` (its chat framing taken
    off) when given, else :func:`estimate_tokens`. A counter that fails falls back too."""
    if count_messages is None:
        return estimate_tokens
    try:
        framing = count_messages([{"role": "user", "content": ""}])
    except Exception:  # a provider that cannot count (not loaded, say): estimate
        return estimate_tokens

    def count(text: str) -> int:
        try:
            return max(0, count_messages([{"role": "user", "content": text}]) - framing)
        except Exception:
            return estimate_tokens(text)

    return count


def budget_for(settings: IndexSettings, room: int) -> int:
    """Tokens the chunks may take: ``context_tokens``, and at most half of ``room`` (what the
    context holds after the system prompt, the question and the answer's reserve)."""
    return max(0, min(settings.context_tokens, room // 2))


def section(chunk: Chunk) -> str:
    """One chunk in the block: headed ``path:start-end`` (and its symbol), fenced."""
    source = chunk.source
    head = source.citation + (f" ({source.symbol})" if source.symbol else "")
    fence = "````" if "```" in chunk.code else "```"
    return f"{head}\n{fence}\n{chunk.code}\n{fence}"


def context_block(chunks: Sequence[Chunk]) -> str:
    """The instruction, then each chunk's :func:`section`."""
    if not chunks:
        return ""
    parts = [INSTRUCTION.format(example=chunks[0].source.citation)]
    parts.extend(section(chunk) for chunk in chunks)
    return "\n\n".join(parts)


def with_context(question: str, retrieved: Retrieved | None) -> str:
    """The latest user message as sent: the context block, then the question."""
    if retrieved is None or not retrieved.chunks:
        return question
    return f"{retrieved.block}\n\nQuestion: {question}"


def apply_context(
    messages: list[ChatMessage], retrieved: Retrieved | None
) -> list[ChatMessage]:
    """``messages`` with the chunks put before the last one's text, if it is the user's."""
    if retrieved is None or not retrieved.chunks or not messages:
        return messages
    last = messages[-1]
    if last["role"] != "user":
        return messages
    return [*messages[:-1], {**last, "content": with_context(last["content"], retrieved)}]


class Retriever:
    """Chooses chunks from ``index`` for a question (see the module's docstring)."""

    def __init__(
        self, index: Searcher, settings: IndexSettings, *, mode: str = "hybrid"
    ) -> None:
        self.index = index
        self.settings = settings
        self.mode = mode

    def retrieve(
        self, question: str, budget: int, count: CountTokens = estimate_tokens
    ) -> Retrieved:
        """The best chunks for ``question`` whose block fits ``budget`` tokens.

        Raises the index's errors (FiresideError subclasses) for the caller to report.
        """
        wanted = self.settings.context_chunks
        query = question.strip()[:MAX_QUERY_CHARS]
        if budget <= 0 or wanted <= 0 or not query:
            return Retrieved()
        hits = self.index.search(query, k=wanted * OVERSAMPLE, mode=self.mode)
        # The relevance floor: a greeting or a general question gets no code.
        hits, left_out = relevant(query, hits)
        left_out = min(left_out, wanted)
        # Each section is counted once (a tokenizer call through a chat template costs a
        # few ms); the whole block is counted at the end and trimmed if the parts' sum was
        # a little off.
        chosen: list[Chunk] = []
        used = count(INSTRUCTION.format(example=EXAMPLE)) + SEPARATOR_TOKENS
        for hit in hits:
            room = budget - used
            if len(chosen) >= wanted or room < MIN_ROOM:
                break
            if is_secret_path(hit.path) or _overlaps(hit, chosen):
                continue
            chunk = _chunk_of(hit)
            if chunk is None:
                continue
            cost = count(section(chunk)) + SEPARATOR_TOKENS
            if cost > room:
                cut = _cut_to_fit(chunk, room, count)
                if cut is None:
                    continue
                chunk, cost = cut
            chosen.append(chunk)
            used += cost
        tokens = count(context_block(chosen)) if chosen else 0
        while chosen and tokens > budget:
            chosen.pop()
            tokens = count(context_block(chosen)) if chosen else 0
        return Retrieved(tuple(chosen), tokens, left_out)


def _code_of(hit: Hit) -> str:
    """The chunk's code without the indexer's header line (``# path · symbol``)."""
    text = hit.text or hit.snippet
    first, sep, rest = text.partition("\n")
    if first.startswith(f"# {hit.path}"):
        return rest
    return text if sep or first else ""


def _chunk_of(hit: Hit) -> Chunk | None:
    code = _code_of(hit).rstrip("\n")
    if not code.strip():
        return None
    source = Source(hit.path, hit.start_line, hit.end_line, round(hit.score, 6), hit.symbol)
    return Chunk(source, code)


def _overlaps(hit: Hit, chosen: list[Chunk]) -> bool:
    return any(
        c.source.path == hit.path
        and c.source.start_line <= hit.end_line
        and hit.start_line <= c.source.end_line
        for c in chosen
    )


def _cut_to_fit(chunk: Chunk, room: int, count: CountTokens) -> tuple[Chunk, int] | None:
    """The longest head of ``chunk`` (whole lines, its end line adjusted) whose section
    fits ``room`` tokens, and its cost; None when fewer than MIN_LINES would fit."""
    lines = chunk.code.split("\n")
    best: tuple[Chunk, int] | None = None
    low, high = MIN_LINES, len(lines) - 1
    while low <= high:  # binary search on the number of lines kept
        keep = (low + high) // 2
        source = replace(chunk.source, end_line=chunk.source.start_line + keep - 1)
        cut = Chunk(source, "\n".join(lines[:keep]))
        cost = count(section(cut)) + SEPARATOR_TOKENS
        if cost <= room:
            best, low = (cut, cost), keep + 1
        else:
            high = keep - 1
    return best
