"""Asks whether a tool call the model started may run: the tool, what it can do, and every
argument in full (the whole URL, query string included), with Deny (focused first, and Esc),
Allow once and Allow for this session (not offered for tools that write or execute).
Dismisses with an :class:`~assistant.tools.consent.Approval`."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from assistant.tools.consent import Approval

RISK_DETAIL = {
    "network": "It connects to the internet: what it sends (a URL, a search) leaves this "
    "computer.",
    "write": "It can change files or other state on this computer.",
    "execute": "It runs commands on this computer.",
    "unknown": "It comes from a plugin that did not say what it does.",
}


def risk_detail(name: str, risk: str) -> str:
    """What the tool can do; a ``server.tool`` of unknown risk names its MCP server."""
    if risk == "unknown" and "." in name:
        return (f"It comes from the MCP server {name.split('.', 1)[0]}; Fireside cannot tell "
                "what it does.")
    return RISK_DETAIL.get(risk, "It reads data on this computer.")


def arguments_text(arguments: dict[str, Any]) -> str:
    """Each argument on its own line, in full."""
    if not arguments:
        return "(no arguments)"
    lines = []
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {text}")
    return "\n".join(lines)


class ToolConsentDialog(ModalScreen[Approval]):
    BINDINGS = [Binding("escape", "deny", "Deny")]

    def __init__(self, name: str, arguments: dict[str, Any], risk: str,
                 session_allowed: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self.tool_name = name
        self.arguments = dict(arguments)
        self.risk = risk
        self.session_allowed = session_allowed

    def compose(self) -> ComposeResult:
        detail = risk_detail(self.tool_name, self.risk)
        with Vertical(classes="dialog consent-dialog"):
            yield Label(f"The model wants to run {self.tool_name}", classes="dialog-title",
                        markup=False)
            yield Label(detail, classes="dialog-detail", markup=False)
            yield Static(arguments_text(self.arguments), markup=False,
                         classes="consent-arguments")
            with Horizontal(classes="buttons"):
                yield Button("Deny", id="deny")
                yield Button("Allow once", id="once", variant="primary")
                if self.session_allowed:
                    yield Button("Allow for this session", id="session", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(Approval(event.button.id or "deny"))

    def action_deny(self) -> None:
        self.dismiss(Approval.DENY)
