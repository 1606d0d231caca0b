"""Tool calls in ``fireside chat``: each call and a folded result on stderr, the full steps for
``--json``, and asking y/N before a tool whose policy is "ask" (only on a terminal)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from assistant.events import ToolCallEvent, ToolResultEvent
from assistant.tool_render import call_line, event_step, fold, result_summary


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
            if not self.quiet:
                summary = result_summary(event.ok, event.duration_ms, event.truncated)
                mark = "✓" if event.ok else "✗"
                typer.echo(f"  {mark} {summary}", err=True)
                for line in fold(event.content).splitlines():
                    typer.echo(f"    {line}", err=True)
            return True
        return False


def terminal_approver() -> Any:
    """Asks y/N on the terminal before an "ask" tool runs; None when there is no terminal
    (such tools are then refused with a message saying approval was not possible)."""
    if sys.stdin is None or not sys.stdin.isatty() or not sys.stderr.isatty():
        return None

    def approve(tool: Any, arguments: dict[str, Any]) -> bool:
        sys.stdout.flush()
        question = f"\nRun {call_line(tool.name, arguments)} ({tool.risk.value})?"
        try:
            return bool(typer.confirm(question, default=False, err=True))
        except (typer.Abort, EOFError):
            return False

    return approve
