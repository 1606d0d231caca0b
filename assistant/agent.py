"""The agent loop's bookkeeping for one turn: which tools are offered, the limits, running a
call through the registry, and the messages that carry calls and results back to the model.

The orchestrator drives the loop (generate → tool calls → results → generate again);
:class:`ToolLoop` decides whether a call may run, runs it and remembers the steps.

Limits (``[tools]``): ``max_steps`` calls per turn, ``max_tool_seconds`` of tool time per
turn, the same call (name and arguments) twice in a turn, and a second invalid call (unknown
tool or bad arguments: the first goes back to the model as an error so it can fix it) each
stop the loop with a message.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.events import ToolCallEvent, ToolResultEvent
from assistant.tools.base import ToolContext
from providers.base import ChatMessage, ToolCall, ToolSpec

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store
    from assistant.tools.registry import Approver, Registry

# Results the registry gives calls the model got wrong (as opposed to tools that failed).
_INVALID = ("unknown tool ", "invalid arguments for ")
DROPPED_RESULT = "[result removed to fit the context; call the tool again if you need it]"


def default_project_root() -> Path | None:
    """The folder read_file and code_search work in when a front end names none: the git
    root above the current folder, or the folder itself."""
    try:
        from indexer.root import find_root  # not indexer.project: start-up stays light

        return find_root(None)
    except Exception:  # no indexer, or a folder that vanished
        try:
            return Path.cwd()
        except OSError:
            return None


def tools_overhead_text(tools: tuple[ToolSpec, ...]) -> str:
    """Text about as long as the tools take in a prompt (names, descriptions, schemas)."""
    return json.dumps(
        [{"name": t.name, "description": t.description, "parameters": t.parameters}
         for t in tools]
    )


def call_text(call: ToolCall) -> str:
    """``web_search(query="…")``: a call in one line for people."""
    args = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in call.arguments.items()
    )
    return f"{call.name}({args})"


@dataclass
class ToolLoop:
    """Runs a turn's tool calls (see the module docstring)."""

    settings: Settings
    registry: Registry
    context: ToolContext
    approve: Approver | None = None
    specs: tuple[ToolSpec, ...] = ()
    steps: int = 0
    invalid: int = 0
    tool_seconds: float = 0.0
    seen: set[str] = field(default_factory=set)
    step_ids: list[int] = field(default_factory=list)
    stop_reason: str | None = None

    @classmethod
    def start(
        cls,
        settings: Settings,
        registry: Registry,
        *,
        store: Store | None,
        project_root: Path | None,
        cancel: threading.Event,
        approve: Approver | None,
        count_tokens: Any = None,
        session_id: str | None = None,
    ) -> ToolLoop:
        ctx = ToolContext(settings=settings, store=store, project_root=project_root,
                          cancel=cancel, count_tokens=count_tokens, session_id=session_id)
        loop = cls(settings, registry, ctx, approve)
        loop.specs = registry.specs(ctx)
        return loop

    def check(self, call: ToolCall) -> str | None:
        """Why ``call`` may not run (the loop stops), or None."""
        limits = self.settings.tools
        if self.steps >= limits.max_steps:
            return (
                f"stopped after {self.steps} tool call(s), the limit for one answer "
                "([tools] max_steps)"
            )
        if self.tool_seconds >= limits.max_tool_seconds:
            return (
                f"stopped: tools ran for {self.tool_seconds:.0f} s, the limit for one answer "
                "([tools] max_tool_seconds)"
            )
        key = call.name + json.dumps(call.arguments, sort_keys=True, ensure_ascii=False)
        if key in self.seen:
            return f"stopped: the model asked for {call_text(call)} again"
        self.seen.add(key)
        return None

    def announce(self, call: ToolCall) -> ToolCallEvent:
        self.steps += 1
        return ToolCallEvent(call.id, call.name, dict(call.arguments), step=self.steps)

    def run(self, call: ToolCall) -> ToolResultEvent:
        """Run ``call`` (validation, policy and capping are the registry's) within the time
        left for tools in this turn."""
        left = self.settings.tools.max_tool_seconds - self.tool_seconds
        self.context.deadline = time.monotonic() + max(0.0, left)
        started = time.monotonic()
        try:
            result = self.registry.run(call, self.context, self.approve, step=self.steps)
        finally:
            self.tool_seconds += time.monotonic() - started
        if not result.ok and result.content.startswith(_INVALID):
            self.invalid += 1
            if self.invalid >= 2:
                self.stop_reason = (
                    f"stopped: the model made a second invalid tool call ({result.content})"
                )
        return result


def call_message(text: str, calls: list[ToolCall]) -> ChatMessage:
    """The assistant message that made ``calls`` (with any text it wrote first)."""
    return {"role": "assistant", "content": text, "tool_calls": list(calls)}


def result_message(result: ToolResultEvent) -> ChatMessage:
    message: ChatMessage = {
        "role": "tool",
        "content": result.content,
        "tool_call_id": result.call_id,
        "name": result.name,
    }
    if not result.ok:
        message["is_error"] = True
    return message


def shrink_results(messages: list[ChatMessage]) -> bool:
    """Replace the oldest still-present tool result with a short note (to fit the context);
    False when there is none left to shrink."""
    for message in messages:
        if message["role"] == "tool" and message["content"] != DROPPED_RESULT:
            message["content"] = DROPPED_RESULT
            return True
    return False


def plain_steps(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Tool steps as plain assistant/user turns (calls as JSON, results as user text), for
    a generation that offers no tools."""
    from providers import json_chat

    return json_chat(messages, ())
