"""A deterministic provider for tests: replies are queued by the test, streamed word by word."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from assistant.errors import ModelError, ProviderError
from providers.base import ChatMessage, Finish, GenerationOptions, Provider


class ScriptedProvider(Provider):
    """A :class:`providers.base.Provider` with canned replies.

    ``replies`` are consumed in order (the last one repeats). ``delay`` is the pause between
    pieces, so tests can cancel mid-answer. ``fail_load`` / ``fail_after`` inject faults.
    Every request's messages are kept in ``requests`` for assertions.
    """

    name = "scripted"

    def __init__(
        self,
        replies: list[str] | None = None,
        *,
        delay: float = 0.0,
        context_size: int = 4096,
        fail_load: str | None = None,
        fail_after: int | None = None,
    ) -> None:
        self.replies = list(replies or ["Hello from the scripted model."])
        self.delay = delay
        self._context_size = context_size
        self.fail_load = fail_load
        self.fail_after = fail_after
        self.requests: list[list[ChatMessage]] = []
        self._loaded = False
        self.started = threading.Event()

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def context_size(self) -> int:
        return self._context_size

    def load(self) -> None:
        if self.fail_load:
            raise ModelError(self.fail_load)
        self._loaded = True

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        # One token per whitespace-separated word plus 4 per message of framing.
        return sum(len(m["content"].split()) + 4 for m in messages)

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def _next_reply(self) -> str:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str | Finish]:
        self.load()
        self.requests.append(list(messages))
        reply = self._next_reply()
        words = reply.split(" ")
        produced = 0
        self.started.set()
        for index, word in enumerate(words[: options.max_tokens]):
            if cancel.is_set():
                break
            if self.fail_after is not None and produced >= self.fail_after:
                raise ProviderError("scripted failure mid-answer")
            yield word if index == 0 else " " + word
            produced += 1
            if self.delay:
                time.sleep(self.delay)
        reason = "cancelled" if cancel.is_set() else "stop"
        yield Finish(reason, self.count_tokens(messages), produced)

    def close(self) -> None:
        self._loaded = False
