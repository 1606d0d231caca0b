"""Tool calls in the conversation (the dialog that asks before one runs is
:mod:`tui.consent_dialog`).

:class:`ToolCallView`: one call (``→ web_search(query="…")``), its state (running, ok,
failed) and its result folded in a Collapsible (opened on click). Shown above the answer the
call led to, live while a turn runs and again when a saved chat is reopened.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Collapsible, Static

from assistant.tool_render import call_line, failure_line, result_summary

RUNNING, OK, FAILED = "running", "ok", "failed"


class ToolCallView(Collapsible):
    """A tool call and its result. CSS classes: ``-running``, ``-ok``, ``-failed``."""

    def __init__(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        call_id: str = "",
        result: str | None = None,
        ok: bool = True,
        duration_ms: float = 0.0,
        truncated: bool = False,
    ) -> None:
        self.tool_name = name
        self.arguments = dict(arguments)
        self.call_id = call_id
        self.call_text = call_line(name, arguments)
        self.result: str | None = None
        self.state = RUNNING
        self._body = Static("", markup=False, classes="tool-result")
        super().__init__(self._body, title=self._heading(), collapsed=True,
                         classes="tool-call -running")
        if result is not None:
            self.set_result(result, ok=ok, duration_ms=duration_ms, truncated=truncated)

    def _heading(self, summary: str = "running…") -> Content:
        mark = {RUNNING: "→", OK: "✓", FAILED: "✗"}[self.state]
        return Content(f"{mark} {self.call_text}  · {summary}")  # plain text, no markup

    def set_result(
        self, text: str, *, ok: bool, duration_ms: float = 0.0, truncated: bool = False
    ) -> None:
        """Show the result (folded) and whether the call worked."""
        self.result = text
        self.state = OK if ok else FAILED
        for state in (RUNNING, OK, FAILED):
            self.set_class(state == self.state, f"-{state}")
        if ok:
            self.title = self._heading(result_summary(ok, duration_ms, truncated))
        else:  # one line that says what went wrong: "✗ read_file: no file docs/x.md …"
            self.title = Content(f"✗ {failure_line(self.tool_name, text)}")
        self._body.update(text or "(no output)")

    def mark_stopped(self) -> None:
        """The turn ended before the tool returned (cancelled)."""
        if self.state == RUNNING:
            self.set_result("stopped before the tool returned", ok=False)
