"""The state of one turn while it runs: the prompt it sends now, the answer so far, each
generation's finish, this turn's tool steps, and how it is ending.

A turn may hold several generations (one per tool step); :class:`TurnState` keeps what they
add up to, so recording the answer (:mod:`assistant.orchestrator.record`) needs nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.errors import ContextOverflowError
from assistant.events import ContextEvent, Event, StatusEvent, TokenEvent
from assistant.orchestrator.record import provider_of
from providers.base import ChatMessage, Finish, GenerationOptions, ToolSpec

if TYPE_CHECKING:
    from assistant.agent import ToolLoop
    from assistant.config import Settings
    from assistant.orchestrator.budget import FittedPrompt, PromptBudget
    from assistant.pins import PinnedFile
    from assistant.retrieval import Retrieved, Retriever


@dataclass
class TurnState:
    fitted: FittedPrompt  # the prompt the next generation sends
    options: GenerationOptions  # its tools: none once the tool loop stopped
    context: ContextEvent  # what the front end was last told went into the prompt
    history: list[ChatMessage]  # the session's turns, the user's question last
    retrieved: Retrieved | None = None  # code chunks for the question
    pinned: tuple[PinnedFile, ...] = ()  # files pinned for it
    loop: ToolLoop | None = None  # None: no tools offered this turn
    pieces: list[str] = field(default_factory=list)  # the answer's text so far
    finishes: list[Finish] = field(default_factory=list)  # one per generation
    scratch: list[ChatMessage] = field(default_factory=list)  # this turn's calls and results
    status: str = "complete"  # "complete" | "cancelled" | "error"
    error: str | None = None
    stopped: str | None = None  # why the tool loop stopped early
    start: float = field(default_factory=time.perf_counter)
    first: float | None = None  # the turn's first text
    step_first: float | None = None  # first text of the latest generation (its speed)

    def new_step(self) -> None:
        """A generation starts."""
        self.step_first = None

    def add_text(self, piece: str, step_text: list[str]) -> Iterator[TokenEvent]:
        """Record ``piece`` of the current generation (``step_text`` so far); text after a
        tool step starts a new paragraph."""
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if self.step_first is None:
            self.step_first = now
        if not step_text and self.pieces:
            self.pieces.append("\n\n")
            yield TokenEvent("\n\n")
        step_text.append(piece)
        self.pieces.append(piece)
        yield TokenEvent(piece)

    def fail(self, error: str) -> None:
        self.status, self.error = "error", error

    # -- what it adds up to -------------------------------------------------------------------

    def answer_pieces(self) -> list[str]:
        """The answer's text; a tool loop that stopped before any text says why."""
        return self.pieces if self.pieces or self.stopped is None else [f"[{self.stopped}]"]

    def finish(self) -> Finish | None:
        """One Finish for the turn: the last prompt, all answer tokens."""
        return combined(self.finishes, "tool_limit" if self.stopped else None)

    def rate(self) -> tuple[int, float] | None:
        """(tokens, first-text time) of the last generation when the turn had several: its
        speed is the answer's speed."""
        if len(self.finishes) > 1 and self.step_first is not None:
            return (self.finishes[-1].completion_tokens, self.step_first)
        return None


def start_turn(
    budget: PromptBudget,
    retriever: Retriever | None,
    settings: Settings,
    history: list[ChatMessage],
    loop: ToolLoop | None,
    pinned: Sequence[PinnedFile],
    tools_off: str | None,
) -> Generator[Event, None, TurnState]:
    """The turn's first prompt (code context, pins, the tools of ``loop`` if they fit), the
    context event that says what went in, and the state the turn starts from."""
    specs = loop.specs if loop is not None else ()
    retrieved = yield from budget.retrieve(retriever, settings.index, history, specs, pinned)
    try:
        fitted = budget.fit(history, retrieved, tools=specs, pinned=pinned)
    except ContextOverflowError:
        if not specs:
            raise
        # The tools' descriptions leave no room: answer without tools rather than fail.
        loop, specs = None, ()
        fitted = budget.fit(history, retrieved, pinned=pinned)
        yield StatusEvent("no tools for this answer: the prompt leaves no room for them")
    provider = budget.provider
    if fitted.dropped:
        yield StatusEvent(
            f"dropped the {fitted.dropped} oldest message(s) to fit the "
            f"{provider.context_size}-token context"
        )
    context = ContextEvent(
        messages=len(fitted.messages),
        prompt_tokens=fitted.prompt_tokens,
        context_size=provider.context_size,
        dropped_messages=fitted.dropped,
        model=provider.name,
        provider=provider_of(provider),
        sources=fitted.sources,
        left_out=retrieved.left_out if retrieved is not None else 0,
        tools_off=tools_off,
    )
    yield context
    return TurnState(
        fitted=fitted, options=options_for(settings, specs), context=context, history=history,
        retrieved=retrieved, pinned=tuple(pinned), loop=loop,
    )


def options_for(settings: Settings, tools: tuple[ToolSpec, ...]) -> GenerationOptions:
    """Sampling as configured, offering ``tools``."""
    return GenerationOptions(
        max_tokens=settings.max_tokens, temperature=settings.temperature,
        top_p=settings.top_p, repeat_penalty=settings.repeat_penalty, seed=settings.seed,
        tools=tools,
    )


def combined(finishes: list[Finish], reason: str | None) -> Finish | None:
    """One Finish for a turn of several generations: the last prompt, all answer tokens."""
    if not finishes:
        return None
    last = finishes[-1]
    return Finish(
        reason or last.reason,
        prompt_tokens=last.prompt_tokens,
        completion_tokens=sum(f.completion_tokens for f in finishes),
    )
