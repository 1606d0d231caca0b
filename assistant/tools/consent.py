"""Consent for tool calls the model starts: which calls ask, and the answers a user can give.

The registry (:meth:`assistant.tools.registry.Registry.run`) is where this is enforced, so a
call the model makes cannot run without passing here, whatever the model or a page it read
says. The policy for one tool is a :data:`Decision`:

* ``[tools] permissions`` names the tool: ``deny`` always wins; ``allow`` runs it without
  asking (for a network tool this gives up consent: the model may reach the network on its
  own); ``ask`` asks.
* Otherwise its :class:`~assistant.tools.base.Risk` decides (:data:`DEFAULT_DECISIONS`):
  reading the user's project runs at once; network, write, execute and unknown-risk tools
  (plugins, MCP servers that did not say) ask.
* Tools that write or execute always ask, whatever the config says, and an "allow for this
  session" answer never covers them.

An :data:`Approver` is what a front end hands the turn: ``approve(tool, arguments)`` is
called, on the turn's thread, before a tool whose decision is "ask" runs, with the exact
arguments that will run. It returns an :class:`Approval` (``True``/``False`` mean once/deny)
or raises :class:`~assistant.errors.ToolDeniedError` with a message for the model and user.
Without an approver such calls are refused. The user's own commands (``/web``, ``fireside
fetch``…) go through ``Registry.run_tool`` and are consent in themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal

from assistant.errors import ToolDeniedError
from assistant.tools.base import Risk, Tool

Decision = Literal["allow", "ask", "deny"]

DEFAULT_DECISIONS: dict[Risk, Decision] = {
    Risk.READ: "allow",
    Risk.NETWORK: "ask",
    Risk.WRITE: "ask",
    Risk.EXECUTE: "ask",
    Risk.UNKNOWN: "ask",
}


class Approval(StrEnum):
    """A user's answer to "may this call run?"."""

    ONCE = "once"  # this call only
    SESSION = "session"  # this tool, for the rest of this chat (not for write/execute)
    DENY = "deny"


Approver = Callable[[Tool, dict[str, Any]], "Approval | bool"]


def default_decision(risk: Risk) -> Decision:
    """What a tool of ``risk`` gets when ``[tools] permissions`` does not name it."""
    return DEFAULT_DECISIONS.get(risk, "ask")


def as_approval(answer: object) -> Approval:
    """An approver's return value as an :class:`Approval` (``True`` once, else deny)."""
    if isinstance(answer, Approval):
        return answer
    if isinstance(answer, str):
        try:
            return Approval(answer)
        except ValueError:
            return Approval.DENY
    return Approval.ONCE if answer is True else Approval.DENY


def web_approver(allow_network: bool, nobody: str, hint: str = "") -> Approver:
    """For front ends that cannot ask (``fireside chat`` without a terminal, the API):
    network tools run when the user allowed them up front (``--allow-web``, the server's
    allow setting); every call that asks is refused otherwise, with a message built from
    ``nobody`` (why no one can approve here) and, for network tools, ``hint`` (how to allow
    them)."""

    def approve(tool: Tool, _arguments: dict[str, Any]) -> Approval:
        if allow_network and tool.risk is Risk.NETWORK:
            return Approval.ONCE
        message = f"{tool.name} needs the user's approval and {nobody}; it was not run"
        if hint and tool.risk is Risk.NETWORK:
            message += f" ({hint})"
        raise ToolDeniedError(message)

    return approve
