"""The provider interface every model backend implements."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict


class _ChatMessageBase(TypedDict):
    role: str  # "system" | "user" | "assistant" | "tool"
    content: str


class ChatMessage(_ChatMessageBase, total=False):
    """One message of a chat. Plain messages have ``role`` and ``content`` only; the agent
    loop adds two more kinds, which every provider formats in its own API's shape:

    * an assistant message that called tools: ``tool_calls`` (its text may be empty);
    * a tool's result: role ``"tool"``, ``tool_call_id`` (the call it answers), ``name``
      (the tool) and the result text as ``content``; ``is_error`` when the tool failed.
    """

    tool_calls: list[ToolCall]
    tool_call_id: str
    name: str
    is_error: bool


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: its name, what it does, and a JSON schema of its
    arguments (``{"type": "object", "properties": {...}, "required": [...]}``)."""

    name: str
    description: str
    parameters: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 1024
    temperature: float = 0.3
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    seed: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    """Tools the model may call; a provider that supports tool calls sends them in its
    API's shape. Empty: no tools offered (the model answers in text only)."""


@dataclass(frozen=True)
class ToolCall:
    """The model asks to call a tool: a provider's stream yields it between text pieces and
    before the final :class:`Finish` (whose reason is then ``"tool_calls"``). ``id`` is the
    vendor's call id (made up as ``call_N`` where the API has none); ``arguments`` is the
    parsed JSON object, not yet checked against the tool's schema."""

    id: str
    name: str
    arguments: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Finish:
    """The last item a provider's stream yields."""

    reason: str  # "stop" | "length" | "cancelled" | "tool_calls" | "content_filter"
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class HostedPreview:
    """What a fallback turn would send to a hosted model (for an ask-before-sending dialog)."""

    model: str  # "provider/model"
    reason: str  # why the local model is not answering
    messages: int
    characters: int
    estimated_tokens: int


ConfirmHosted = Callable[[HostedPreview], bool]
"""Asked (on the generating thread) before a *fallback* turn goes to a hosted model;
returning False keeps it local-only (the turn then fails with HostedDeclinedError)."""


class Provider(ABC):
    """Streams chat messages into text pieces (and :class:`ToolCall` items when tools were
    offered), then one :class:`Finish`.

    Every model backend subclasses it. The abstract members are what each must implement;
    the rest is what a provider *may* do beyond that, stated here once with a default that
    does nothing, so callers never probe a provider with ``getattr``/``hasattr``:

    * :attr:`template_note` — a notice about how the model is prompted (local models);
    * :attr:`hosted_provider` — the hosted ``[providers.NAME]`` answering now (hosted);
    * :attr:`calls_tools_reliably` — whether ``[tools] offer = "auto"`` offers it tools;
    * :attr:`active` — the provider answering now (a router's pick; itself otherwise);
    * :meth:`route` — pick the provider for a turn (a router);
    * :meth:`warm_up` — evaluate a prompt prefix ahead of the first turn (local models);
    * :meth:`take_notes` — notices for the user gathered since the last call;
    * :meth:`cost` — what a hosted answer cost in US dollars.
    """

    name: str
    """Short model name shown to users (``SmolLM2-135M-Instruct.Q4_1``)."""

    template_note: str | None = None
    """Why the model is prompted in a fallback format (its chat template is missing or
    fails), or None."""

    hosted_provider: str | None = None
    """The hosted ``[providers.NAME]`` answering now; None for a local model."""

    calls_tools_reliably: bool = True
    """Whether ``[tools] offer = "auto"`` offers this model tools (hosted models: their
    native tool calling; a small local model may not manage it)."""

    @property
    @abstractmethod
    def loaded(self) -> bool: ...

    @property
    @abstractmethod
    def context_size(self) -> int: ...

    @abstractmethod
    def load(self) -> None:
        """Load the model (idempotent, may take seconds; raises ModelError)."""

    @abstractmethod
    def count_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens the formatted prompt for ``messages`` takes."""

    @abstractmethod
    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str | ToolCall | Finish]:
        """Text pieces as they are generated, each complete :class:`ToolCall` the model makes
        (normally only when ``options.tools`` offered some), then one :class:`Finish`; stops within
        one token of ``cancel`` being set. Raises ProviderError subclasses (a tool call
        whose arguments are not a JSON object is one)."""

    @abstractmethod
    def close(self) -> None:
        """Free the model."""

    # -- optional capabilities (defaults: nothing to do) ------------------------------------

    @property
    def active(self) -> Provider:
        """The provider answering now: a router's pick, otherwise this one."""
        return self

    def route(
        self,
        messages: list[ChatMessage],
        reserve: Callable[[int], int],
        confirm: ConfirmHosted | None = None,
    ) -> None:
        """Pick who answers a turn whose full prompt is ``messages`` (``reserve(n_ctx)``
        tokens are kept for the answer); ``confirm`` is asked before a fallback turn goes
        hosted. Only a router picks; others answer themselves."""
        return None

    def warm_up(self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()) -> None:
        """Evaluate ``messages`` (the system prompt, with the ``tools`` a turn offers) so the
        first answer starts sooner. Default: just load the model."""
        self.load()

    def take_notes(self) -> list[str]:
        """Notices for the user gathered since the last call (none by default)."""
        return []

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What an answer of these token counts cost in US dollars; None when free (local)
        or unknown."""
        return None
