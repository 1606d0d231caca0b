"""A scripted provider that makes tool calls, and a small registry of real tools for loop tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import ToolError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput
from assistant.tools.registry import Registry
from providers.base import ChatMessage, Finish, GenerationOptions, Provider, ToolCall


class ToolScriptedProvider(Provider):
    """Each generation plays the next script entry: text pieces and ToolCall items (the last
    entry repeats). Every request's messages and options are kept for assertions."""

    name = "scripted-tools"

    def __init__(self, *script: list[str | ToolCall], context_size: int = 4096) -> None:
        self.script = [list(s) for s in script]
        self._context_size = context_size
        self.requests: list[list[ChatMessage]] = []
        self.options: list[GenerationOptions] = []
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def context_size(self) -> int:
        return self._context_size

    def load(self) -> None:
        self._loaded = True

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        total = 0
        for m in messages:
            calls = m.get("tool_calls") or []
            words = m["content"].split() + [json.dumps(c.arguments) for c in calls]
            total += len(words) + 4
        return total

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str | ToolCall | Finish]:
        self.requests.append([dict(m) for m in messages])  # type: ignore[misc]
        self.options.append(options)
        items = self.script.pop(0) if len(self.script) > 1 else list(self.script[0])
        produced = 0
        for item in items:
            if cancel.is_set():
                break
            yield item
            produced += 1
        reason = "tool_calls" if any(isinstance(i, ToolCall) for i in items) else "stop"
        yield Finish(reason, self.count_tokens(messages), produced)

    def close(self) -> None:
        self._loaded = False


class UpperArgs(BaseModel):
    text: str = Field(description="Text to shout.")


class SleepArgs(BaseModel):
    seconds: float = Field(description="How long to wait.")


class BigArgs(BaseModel):
    words: int = Field(description="How many words to return.")


def _upper(args: UpperArgs, _ctx: ToolContext) -> ToolOutput:
    return ToolOutput(args.text.upper())


def _sleep(args: SleepArgs, ctx: ToolContext) -> ToolOutput:
    """Waits, giving up when the turn is cancelled (as a well-behaved tool does)."""
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        if ctx.cancel.wait(0.01):
            raise ToolError("nap was cancelled")
    return ToolOutput(f"slept {args.seconds}")


def _big(args: BigArgs, _ctx: ToolContext) -> ToolOutput:
    return ToolOutput(" ".join(f"w{i}" for i in range(args.words)))


UPPER = Tool("shout", "Upper-cases a text.", UpperArgs, Risk.READ, _upper)
SLEEP = Tool("nap", "Waits a while.", SleepArgs, Risk.READ, _sleep)
BIG = Tool("big", "Returns many words.", BigArgs, Risk.READ, _big)
WRITE = Tool("scribble", "Pretends to write a file.", UpperArgs, Risk.WRITE, _upper)


def tool_registry(settings: Settings, *tools: Tool) -> Registry:
    registry = Registry(settings)
    for tool in tools or (UPPER,):
        registry.register(tool)
    return registry


def call(name: str, call_id: str = "call_1", **arguments: Any) -> ToolCall:
    return ToolCall(call_id, name, arguments)
