"""Native tool calls for local GGUF models whose chat template takes ``tools`` (e.g. Qwen 2.5
/ Hermes): the template renders the tools and the calls itself; :class:`NativeCallParser`
pulls ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` out of the streamed text.
Re-exported by :mod:`providers._local_tools`, next to the grammar-constrained JSON way.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.errors import ProviderError
from providers.base import ChatMessage, ToolCall, ToolSpec

OPEN, CLOSE = "<tool_call>", "</tool_call>"


def template_uses_tools(template: str) -> bool:
    """True when a chat template renders a ``tools`` variable (native tool support)."""
    from providers.tool_capability import template_renders_tools

    return template_renders_tools(template)


def native_tools(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """Tools in the OpenAI/Hugging Face shape chat templates expect."""
    return [
        {"type": "function", "function": {"name": t.name, "description": t.description,
                                          "parameters": t.parameters}}
        for t in tools
    ]


def native_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Messages in the Hugging Face shape (``tool_calls`` with ``function`` objects, tool
    results as role ``tool``) that tool-aware templates format."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m["role"], "content": m["content"]}
        calls = m.get("tool_calls")
        if calls:
            item["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}}
                for c in calls
            ]
        if m["role"] == "tool":
            item["name"] = m.get("name", "")
            item["tool_call_id"] = m.get("tool_call_id", "")
        out.append(item)
    return out


class NativeCallParser:
    """Splits a native template's output into answer text and ``<tool_call>`` blocks.

    :meth:`feed` returns the text to show now (a possible start of ``<tool_call>`` is held
    back until it is clear); :meth:`finish` returns the calls, parsed.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._inside = False
        self._blocks: list[str] = []

    def feed(self, piece: str) -> str:
        self._buffer += piece
        shown: list[str] = []
        while True:
            if self._inside:
                end = self._buffer.find(CLOSE)
                if end < 0:
                    return "".join(shown)
                self._blocks.append(self._buffer[:end])
                self._buffer = self._buffer[end + len(CLOSE) :]
                self._inside = False
                continue
            start = self._buffer.find(OPEN)
            if start >= 0:
                shown.append(self._buffer[:start])
                self._buffer = self._buffer[start + len(OPEN) :]
                self._inside = True
                continue
            keep = _partial_suffix(self._buffer, OPEN)
            cut = len(self._buffer) - keep
            shown.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
            return "".join(shown)

    def finish(self) -> tuple[str, list[ToolCall]]:
        """(text still held back, the calls). Raises ProviderError for a malformed call."""
        rest = ""
        if self._inside:  # some models stop without the closing tag
            self._blocks.append(self._buffer)
        else:
            rest = self._buffer
        self._buffer = ""
        calls = [_parse_block(block, f"call_{n}") for n, block in enumerate(self._blocks)]
        return rest, calls


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a start of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


def _parse_block(block: str, call_id: str) -> ToolCall:
    try:
        data = json.loads(block.strip(), strict=False)
    except ValueError:
        raise ProviderError("the model wrote a <tool_call> that is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ProviderError("the model wrote a <tool_call> without a tool name")
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            arguments = None
    if not isinstance(arguments, dict):
        raise ProviderError(
            f"the model called {data['name']!r} with arguments that are not a JSON object"
        )
    return ToolCall(call_id, data["name"], arguments)
