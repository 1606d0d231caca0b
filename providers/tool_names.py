"""Tool names on the wire: the registry's names ↔ names the hosted APIs accept.

The registry names MCP tools ``SERVER.tool``, but OpenAI and Anthropic accept only
``^[a-zA-Z0-9_-]{1,64}$`` as a function name, and Gemini wants a letter or ``_`` first.
:class:`ToolNames` maps every tool name of one request (the tools offered and the names in
the history) to a name all three accept, and maps the model's calls back:

* a name that is already valid keeps its spelling (``get_time`` stays ``get_time``);
* ``.`` becomes ``__`` and any other character outside ``[A-Za-z0-9_-]`` becomes ``_``
  (``time.get_current_time`` → ``time__get_current_time``); a name that would start with a
  digit or ``-`` gets a leading ``_``;
* a name longer than 64 characters, or one that would collide with another tool's name,
  ends in ``_`` and 8 hex digits of a hash of the registry name instead.

The mapping is per request, so decoding never guesses: a name the model made up that maps
to no tool comes back unchanged (and the registry reports it as unknown).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace

from providers.base import ChatMessage, GenerationOptions

MAX_CHARS = 64
WIRE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _digest(name: str, attempt: int = 0) -> str:
    return hashlib.sha1(f"{attempt}:{name}".encode()).hexdigest()[:8]


def _with_suffix(base: str, suffix: str) -> str:
    return base[: MAX_CHARS - len(suffix) - 1] + "_" + suffix


def encode(name: str) -> str:
    """``name`` as a valid wire name, without looking at other names (see the module doc)."""
    if WIRE_NAME.fullmatch(name):
        return name
    wire = _UNSAFE.sub("_", name.replace(".", "__"))
    if not wire or not (wire[0].isalpha() or wire[0] == "_"):
        wire = "_" + wire
    if len(wire) > MAX_CHARS:
        wire = _with_suffix(wire, _digest(name))
    return wire


class ToolNames:
    """The wire names of one request's tools, and the way back."""

    def __init__(self, names: Iterable[str]) -> None:
        self._wire: dict[str, str] = {}
        self._registry: dict[str, str] = {}
        unique = list(dict.fromkeys(n for n in names if n))
        for name in unique:  # valid names first: they keep their spelling
            if WIRE_NAME.fullmatch(name):
                self._add(name, name)
        for name in unique:
            if name not in self._wire:
                self._add(name, self._free(encode(name), name))

    @classmethod
    def for_request(
        cls, messages: list[ChatMessage], options: GenerationOptions
    ) -> ToolNames:
        """The names of the tools offered and of the calls and results in ``messages``."""
        names = [t.name for t in options.tools]
        for message in messages:
            names += [c.name for c in message.get("tool_calls") or ()]
            if message["role"] == "tool" and message.get("name"):
                names.append(message["name"])
        return cls(names)

    def _add(self, name: str, wire: str) -> None:
        self._wire[name] = wire
        self._registry[wire] = name

    def _free(self, wire: str, name: str) -> str:
        attempt = 0
        while wire in self._registry:
            wire = _with_suffix(encode(name), _digest(name, attempt))
            attempt += 1
        return wire

    @property
    def unchanged(self) -> bool:
        """True when every name goes on the wire as it is."""
        return all(name == wire for name, wire in self._wire.items())

    def wire(self, name: str) -> str:
        """The wire name of the registry name ``name``."""
        return self._wire.get(name) or encode(name)

    def registry(self, wire: str) -> str:
        """The registry name behind the wire name ``wire`` (unknown names: unchanged)."""
        return self._registry.get(wire, wire)

    def encode_request(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> tuple[list[ChatMessage], GenerationOptions]:
        """Copies of ``messages`` and ``options`` with every tool name as on the wire (the
        same objects when nothing changes)."""
        if self.unchanged:
            return messages, options
        tools = tuple(replace(t, name=self.wire(t.name)) for t in options.tools)
        out: list[ChatMessage] = []
        for message in messages:
            copy = message
            if message.get("tool_calls"):
                copy = ChatMessage(**message)
                copy["tool_calls"] = [replace(c, name=self.wire(c.name))
                                      for c in message["tool_calls"]]
            if message["role"] == "tool" and message.get("name"):
                copy = ChatMessage(**copy)
                copy["name"] = self.wire(message["name"])
            out.append(copy)
        return out, replace(options, tools=tools)
