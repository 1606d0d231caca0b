"""Tool calls in ``fireside chat``: each call and a folded result on stderr, the full steps for
``--json``, and asking y/N before a tool whose policy is "ask" (only on a terminal)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from assistant.events import ToolCallEvent, ToolResultEvent
from assistant.tool_render import (
    call_line,
    event_step,
    failure_line,
    fold,
    full_call,
    result_summary,
)


class ToolPrinter:
    """Shows tool events on stderr as they happen (unless ``quiet``) and keeps the steps."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.steps: list[dict[str, Any]] = []
        self._calls: dict[str, ToolCallEvent] = {}
        self._mid_line = False

    def text_written(self, text: str) -> None:
        """Tell the printer answer text went to stdout (a call then starts on a new line)."""
        if text:
            self._mid_line = not text.endswith("\n")

    def handle(self, event: object) -> bool:
        """Print a tool event; False for any other event."""
        if isinstance(event, ToolCallEvent):
            self._calls[event.call_id] = event
            if not self.quiet:
                if self._mid_line:
                    sys.stdout.write("\n")
                    sys.stdout.flush()
                    self._mid_line = False
                typer.echo(f"→ {call_line(event.name, event.arguments)}", err=True)
            return True
        if isinstance(event, ToolResultEvent):
            call = self._calls.pop(event.call_id, None)
            self.steps.append(event_step(call, event))
            if not self.quiet and not event.ok:
                typer.echo(f"  ✗ {failure_line(event.name, event.content)}", err=True)
            elif not self.quiet:
                summary = result_summary(event.ok, event.duration_ms, event.truncated)
                mark = "✓" if event.ok else "✗"
                typer.echo(f"  {mark} {summary}", err=True)
                for line in fold(event.content).splitlines():
                    typer.echo(f"    {line}", err=True)
            return True
        return False


NO_TERMINAL = "fireside chat has no terminal to ask on"
ALLOW_HINT = "pass --allow-web to let the model use web tools"


def terminal_approver(allow_web: bool = False) -> Any:
    """Asks y/N on the terminal before a tool whose policy is "ask" runs, showing its full
    arguments; ``allow_web`` lets network tools run without asking. Without a terminal such
    calls are refused with a message that says how to allow them."""
    from assistant.tools.base import Risk
    from assistant.tools.consent import Approval, web_approver

    if sys.stdin is None or not sys.stdin.isatty() or not sys.stderr.isatty():
        return web_approver(allow_web, NO_TERMINAL, ALLOW_HINT)

    def approve(tool: Any, arguments: dict[str, Any]) -> Approval:
        if allow_web and tool.risk is Risk.NETWORK:
            return Approval.ONCE
        sys.stdout.flush()
        what = full_call(tool.name, arguments)
        question = f"\nThe model wants to run {what} ({tool.risk.value})."
        if tool.risk is Risk.NETWORK:
            question += " This connects to the internet."
        try:
            ok = typer.confirm(question + " Allow?", default=False, err=True)
        except (typer.Abort, EOFError):
            ok = False
        return Approval.ONCE if ok else Approval.DENY

    return approve
