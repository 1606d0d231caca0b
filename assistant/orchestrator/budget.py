"""Prompt budgeting: what a turn's prompt holds so that it fits the model's context.

The system prompt, as much recent history as fits, the pinned files and the code chunks
retrieved for the latest question, this turn's tool steps, the tools offered, and room kept
for the answer (:func:`reserve_for`). :class:`PromptBudget` does the arithmetic for one
provider; it holds no turn state, so it is testable alone with any provider.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.agent import shrink_results, tools_overhead_text
from assistant.errors import ContextOverflowError, FiresideError
from assistant.events import Event, Source, StatusEvent
from providers.base import ChatMessage, Provider, ToolSpec

if TYPE_CHECKING:
    from assistant.config import IndexSettings
    from assistant.pins import PinnedFile
    from assistant.retrieval import Retrieved, Retriever
    from assistant.store import Message


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[ChatMessage]
    prompt_tokens: int
    dropped: int
    sources: tuple[Source, ...] = ()  # code chunks in the prompt (retrieved for this turn)
    # What went in, for the context report (assistant.context_report):
    retrieved: Retrieved | None = None
    pinned: tuple[PinnedFile, ...] = ()
    tail: tuple[ChatMessage, ...] = ()


NO_ROOM = FittedPrompt([], 0, -1)
"""What :meth:`PromptBudget.refit` returns when the tool results no longer fit."""


def compose_user_message(prompt: str, context: str | None = None) -> str:
    """The user's text with piped-in context (e.g. ``cat file.py | fireside chat``) before it."""
    if not context or not context.strip():
        return prompt
    body = context.rstrip("\n")
    fence = "````" if "```" in body else "```"
    return f"{fence}\n{body}\n{fence}\n\n{prompt}".strip()


def history_turns(messages: list[Message]) -> list[ChatMessage]:
    """Saved messages as chat turns. A question that got no answer (the model failed to
    load, say) is joined with the next one: many chat templates require user and
    assistant turns to alternate and refuse anything else. Earlier turns' tool calls and
    results are not sent again (they stay in the store): each answer holds what its tools
    found, and old results would crowd a small model's context."""
    turns: list[ChatMessage] = []
    for m in messages:
        if m.role not in ("user", "assistant") or not m.content:
            continue
        # An imported message's attachments (their extracted text) go before it.
        content = compose_user_message(m.content, m.attachment_text)
        if turns and turns[-1]["role"] == m.role:
            turns[-1] = {"role": m.role, "content": turns[-1]["content"] + "\n\n" + content}
        else:
            turns.append({"role": m.role, "content": content})
    return turns


def reserve_for(max_tokens: int, n_ctx: int) -> int:
    """Tokens kept free for the answer in an ``n_ctx``-token context."""
    return min(max_tokens, max(64, n_ctx // 4))


class ToolsCost:
    """About how many prompt tokens offering a set of tools takes (the last set cached)."""

    def __init__(self) -> None:
        self._cached: tuple[tuple[ToolSpec, ...], int] = ((), 0)

    def tokens(self, provider: Provider, tools: tuple[ToolSpec, ...]) -> int:
        if not tools:
            return 0
        if self._cached[0] != tools:
            text = tools_overhead_text(tools)
            self._cached = (tools, provider.count_tokens([{"role": "system", "content": text}]))
        return self._cached[1]


class PromptBudget:
    """Fits prompts into ``provider``'s context (read on every call: a router's changes)."""

    def __init__(
        self, provider: Provider, system_prompt: str, max_tokens: int, tools_cost: ToolsCost
    ) -> None:
        self.provider = provider
        self.system: ChatMessage = {"role": "system", "content": system_prompt}
        self.max_tokens = max_tokens
        self.tools_cost = tools_cost

    def reserve(self, n_ctx: int) -> int:
        """Tokens kept free for the answer."""
        return reserve_for(self.max_tokens, n_ctx)

    def tools_tokens(self, tools: tuple[ToolSpec, ...]) -> int:
        return self.tools_cost.tokens(self.provider, tools)

    def fit(
        self,
        history: list[ChatMessage],
        retrieved: Retrieved | None = None,
        *,
        tail: Sequence[ChatMessage] = (),
        tools: tuple[ToolSpec, ...] = (),
        pinned: Sequence[PinnedFile] = (),
    ) -> FittedPrompt:
        """System prompt + as much recent history as fits, leaving room for the answer.

        Oldest turns go first; the latest user message always stays, with the ``retrieved``
        code chunks before it (their budget was set by :meth:`retrieve`; they are dropped,
        lowest-ranked first, only when the latest message alone leaves no room). Raises
        ContextOverflowError when even that does not fit. ``tail`` (this turn's tool calls
        and results) always stays after the latest message; ``tools`` offered count too.
        """
        from assistant.pins import apply_pins
        from assistant.retrieval import apply_context

        n_ctx = self.provider.context_size
        reserve = self.reserve(n_ctx)
        kept = list(history)
        dropped = 0
        while True:
            latest = apply_pins(apply_context(kept, retrieved), pinned)
            messages = [self.system, *latest, *tail]
            tokens = self.provider.count_tokens(messages) + self.tools_tokens(tools)
            if tokens + reserve <= n_ctx:
                sources = retrieved.sources if retrieved is not None else ()
                return FittedPrompt(
                    messages, tokens, dropped, sources, retrieved, tuple(pinned), tuple(tail)
                )
            if len(kept) <= 1:
                if retrieved is not None and retrieved.chunks:
                    retrieved = retrieved.without_last()
                    continue
                raise ContextOverflowError(
                    f"the message is about {tokens} tokens but the model's context holds "
                    f"{n_ctx} (with {reserve} kept for the answer); shorten it or raise "
                    "context_size"
                )
            # Drop the oldest message; never leave an assistant message first.
            kept.pop(0)
            dropped += 1
            while len(kept) > 1 and kept[0]["role"] != "user":
                kept.pop(0)
                dropped += 1

    def refit(
        self,
        history: list[ChatMessage],
        retrieved: Retrieved | None,
        scratch: list[ChatMessage],
        tools: tuple[ToolSpec, ...],
        pinned: Sequence[PinnedFile] = (),
    ) -> Generator[Event, None, FittedPrompt]:
        """The prompt for the next tool step: the budget is checked again with the tool
        results; the oldest results are replaced by a note while it does not fit
        (:data:`NO_ROOM`, whose ``dropped`` is -1, when nothing is left to remove)."""
        while True:
            try:
                return self.fit(history, retrieved, tail=scratch, tools=tools, pinned=pinned)
            except ContextOverflowError:
                if not shrink_results(scratch):
                    return NO_ROOM
                yield StatusEvent("removed an earlier tool result to fit the context")

    def retrieve(
        self,
        retriever: Retriever | None,
        index: IndexSettings,
        history: list[ChatMessage],
        tools: tuple[ToolSpec, ...] = (),
        pinned: Sequence[PinnedFile] = (),
    ) -> Generator[Event, None, Retrieved | None]:
        """Code chunks for the latest question (None without a retriever), within half the
        room the system prompt, ``tools``, the pins, the question and the answer leave
        (``[index] context_tokens`` at most); an index that fails is a status line, never a
        failed turn."""
        if retriever is None or index.context_tokens <= 0:
            return None
        if not history or history[-1]["role"] != "user":
            return None
        from assistant.retrieval import budget_for, token_counter

        provider = self.provider
        n_ctx = provider.context_size
        room = (
            n_ctx
            - self.reserve(n_ctx)
            - provider.count_tokens([self.system, history[-1]])
            - self.tools_tokens(tools)
            - sum(p.tokens for p in pinned)
        )
        try:
            return retriever.retrieve(
                history[-1]["content"], budget_for(index, room),
                token_counter(provider.count_tokens),
            )
        except FiresideError as exc:
            yield StatusEvent(f"no code context for this answer: {exc}")
            return None
