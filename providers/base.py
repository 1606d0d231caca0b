"""The provider interface every model backend implements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict


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


class Provider(Protocol):
    """Streams chat messages into text pieces (and :class:`ToolCall` items when tools were
    offered), then one :class:`Finish`."""

    name: str
    """Short model name shown to users (``SmolLM2-135M-Instruct.Q4_1``)."""

    @property
    def loaded(self) -> bool: ...

    @property
    def context_size(self) -> int: ...

    def load(self) -> None:
        """Load the model (idempotent, may take seconds; raises ModelError)."""

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens the formatted prompt for ``messages`` takes."""

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

    def close(self) -> None:
        """Free the model."""
