"""The provider interface every model backend implements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 1024
    temperature: float = 0.3
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    seed: int | None = None


@dataclass(frozen=True)
class Finish:
    """The last item a provider's stream yields."""

    reason: str  # "stop" | "length" | "cancelled"
    prompt_tokens: int
    completion_tokens: int


class Provider(Protocol):
    """Streams chat messages into text pieces, then one :class:`Finish`."""

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
    ) -> Iterator[str | Finish]:
        """Text pieces as they are generated; stops within one token of ``cancel`` being set."""

    def close(self) -> None:
        """Free the model."""
