"""Tool calls from hosted APIs: one place that builds :class:`~providers.base.ToolCall` items.

* :class:`ToolCallBuffer` gathers calls whose arguments arrive as JSON text in pieces
  (OpenAI's ``delta.tool_calls`` fragments keyed by index, Anthropic's ``input_json_delta``
  pieces keyed by content block) and turns each into a ToolCall once it is complete.
* :func:`make_tool_call` checks one whole call (a name, arguments as a JSON object or as JSON
  text: OpenAI's non-streaming ``function.arguments``, Anthropic's ``input``, Gemini's
  ``functionCall.args``).

Arguments that are not a JSON object raise a HostedError with a one-line message naming the
provider and the tool; the raw text never goes into the message (it can be long).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import HostedError
from providers.base import ToolCall, ToolSpec


def make_tool_call(
    provider: str, call_id: str | None, name: Any, arguments: Any, *, fallback_id: str
) -> ToolCall:
    """A checked ToolCall; ``arguments`` is a dict, JSON text, or None/"" (no arguments)."""
    if not isinstance(name, str) or not name:
        raise HostedError(f"{provider} sent a tool call without a tool name")
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        parsed: Any = {}
    elif isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise HostedError(
                f"{provider} sent a call to the tool {name!r} whose arguments are not valid "
                f"JSON ({reason} at character {getattr(exc, 'pos', '?')})"
            ) from None
    else:
        parsed = arguments
    if not isinstance(parsed, dict):
        raise HostedError(
            f"{provider} sent a call to the tool {name!r} whose arguments are not a JSON "
            f"object (got {type(parsed).__name__})"
        )
    return ToolCall(call_id if isinstance(call_id, str) and call_id else fallback_id,
                    name, parsed)


@dataclass
class _Partial:
    id: str | None = None
    name: str = ""
    text: list[str] = field(default_factory=list)
    initial: Any = None  # arguments given whole at the start (Anthropic's ``input``)


class ToolCallBuffer:
    """Tool calls being streamed, keyed by the vendor's index; emitted in key order.

    ``made`` counts the calls emitted so far, so ids made up for calls that have none
    (``call_0``, ``call_1``, …) are unique within one answer.
    """

    def __init__(self, provider: str, decode: Callable[[str], str] | None = None) -> None:
        self.provider = provider
        self.decode = decode  # wire name → registry name (providers.tool_names)
        self._open: dict[Any, _Partial] = {}
        self._unindexed = 0
        self.made = 0

    @property
    def last_key(self) -> Any:
        return next(reversed(self._open)) if self._open else None

    def __contains__(self, key: Any) -> bool:
        return key in self._open

    def key_of(self, call_id: str) -> Any:
        """The key of the open call with this id, or None."""
        return next((k for k, part in self._open.items() if part.id == call_id), None)

    def new_key(self) -> tuple[str, int]:
        """A key for a call the vendor gave no index (sorts after indexed calls, in order)."""
        self._unindexed += 1
        return ("unindexed", self._unindexed)

    def add(
        self,
        key: Any,
        *,
        call_id: str | None = None,
        name: str | None = None,
        arguments: str | None = None,
        initial: Any = None,
    ) -> None:
        """Start the call ``key`` or add to it: an id or name seen for the first time, a
        piece of the arguments' JSON text."""
        part = self._open.setdefault(key, _Partial())
        if call_id and not part.id:
            part.id = call_id
        if name and not part.name:  # sent once; a few servers repeat it in every fragment
            part.name = name
        if arguments:
            part.text.append(arguments)
        if initial is not None:
            part.initial = initial

    def pop(self, key: Any) -> ToolCall | None:
        """The finished call ``key`` (None if it was never started)."""
        part = self._open.pop(key, None)
        if part is None:
            return None
        text = "".join(part.text)
        arguments: Any = text if text.strip() else part.initial
        call = make_tool_call(
            self.provider, part.id, self._name(part.name), arguments, fallback_id=self.next_id()
        )
        self.made += 1
        return call

    def pop_all(self) -> list[ToolCall]:
        """Every open call, in key order (OpenAI's parallel calls by index)."""
        keys = sorted(self._open, key=lambda k: (not isinstance(k, int), k))
        return [call for key in keys if (call := self.pop(key)) is not None]

    def next_id(self) -> str:
        return f"call_{self.made}"

    def whole(self, call_id: str | None, name: Any, arguments: Any) -> ToolCall:
        """A call that arrived whole (Gemini's functionCall, non-streaming answers)."""
        call = make_tool_call(
            self.provider, call_id, self._name(name), arguments, fallback_id=self.next_id()
        )
        self.made += 1
        return call

    def _name(self, name: Any) -> Any:
        """The registry's name for a wire name (anything else is left to make_tool_call)."""
        if self.decode is not None and isinstance(name, str) and name:
            return self.decode(name)
        return name


def tool_schemas(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """``{name, description, parameters}`` for each tool (each vendor wraps these)."""
    return [
        {"name": t.name, "description": t.description, "parameters": t.parameters}
        for t in tools
    ]
