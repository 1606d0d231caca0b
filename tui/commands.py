"""Slash commands typed in the prompt: ``/name args``.

The chat screen hands every submitted prompt to :meth:`CommandRegistry.dispatch` first; text
that is not a command (it does not start with ``/name`` followed by a space or the end) goes
to the model as usual. ``//text`` sends ``/text`` to the model.

Adding a command (in your own module, then one line in :func:`default_commands`)::

    def register(commands: CommandRegistry) -> None:
        @commands.command("web", "Search the web", usage="/web QUERY")
        def web(screen: ChatScreen, args: str) -> None:
            screen.notify(f"searching for {args}…")

A handler gets the chat screen and the text after the name (stripped; may be empty). It may
be a plain function or ``async def``; it runs on the UI thread, so anything slow belongs in a
worker (``screen.run_worker(fn, thread=True)``). To show output, use
``await screen.show_output(title, body)`` (a folded block in the conversation) or
``screen.notify(...)``. Raise :class:`CommandError` for bad arguments: its message is shown as
a one-line notice.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import FiresideError

if TYPE_CHECKING:
    from tui.chat_screen import ChatScreen

Handler = Callable[["ChatScreen", str], "Awaitable[None] | None"]

# "/name" then whitespace or the end; names are lower-case words ("/usr/bin" is no command).
_COMMAND = re.compile(r"/([A-Za-z][A-Za-z0-9_-]*)(?:\s+(.*))?", re.DOTALL)


class CommandError(FiresideError):
    """A command was used wrongly (missing or bad arguments); shown as a notice."""


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    help: str  # one line for /help
    handler: Handler
    usage: str = ""  # e.g. "/search QUERY"; defaults to "/name"

    @property
    def synopsis(self) -> str:
        return self.usage or f"/{self.name}"


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower-cased, without the slash
    args: str  # stripped; "" when none


def parse(text: str) -> ParsedCommand | None:
    """``/name args`` as a ParsedCommand; None for text that is not a command."""
    text = text.strip()
    if text.startswith("//"):
        return None
    match = _COMMAND.fullmatch(text)
    if match is None:
        return None
    return ParsedCommand(match.group(1).lower(), (match.group(2) or "").strip())


def unescape(text: str) -> str:
    """The prompt to send for ``text``: ``//foo`` becomes ``/foo``; anything else as is."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("//") else text


class CommandRegistry:
    """The slash commands one chat screen knows, by name."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        """Register ``command``; a second command with the same name replaces the first."""
        self._commands[command.name.lower()] = command

    def command(
        self, name: str, help: str, *, usage: str = ""
    ) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`."""

        def decorate(handler: Handler) -> Handler:
            self.add(Command(name, help, handler, usage))
            return handler

        return decorate

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._commands

    @property
    def commands(self) -> list[Command]:
        """All commands, sorted by name."""
        return [self._commands[name] for name in sorted(self._commands)]

    def help_text(self) -> str:
        """One line per command, for /help."""
        width = max((len(c.synopsis) for c in self.commands), default=0)
        lines = [f"{c.synopsis.ljust(width)}  {c.help}" for c in self.commands]
        lines.append(f"{'//text'.ljust(width)}  Send text that starts with / to the model")
        return "\n".join(lines)

    async def dispatch(self, screen: ChatScreen, text: str) -> bool:
        """Run the command in ``text``; False when ``text`` is not a command (send it).

        An unknown command, a :class:`CommandError` or any FiresideError from the handler
        becomes a one-line notice on ``screen``.
        """
        parsed = parse(text)
        if parsed is None:
            return False
        command = self.get(parsed.name)
        if command is None:
            screen.notify(
                f"Unknown command /{parsed.name} — type /help to list the commands "
                "(// sends text starting with / to the model).",
                severity="warning",
                markup=False,
            )
            return True
        try:
            result = command.handler(screen, parsed.args)
            if inspect.isawaitable(result):
                await result
        except FiresideError as exc:
            screen.notify(
                str(exc), title=f"/{command.name}", severity="error", markup=False
            )
        return True


def _register_help(commands: CommandRegistry) -> None:
    @commands.command("help", "List the slash commands")
    async def show_help(screen: ChatScreen, args: str) -> None:
        await screen.show_output("Commands", commands.help_text())


def default_commands() -> CommandRegistry:
    """The commands every chat screen starts with (add your module's ``register`` here)."""
    from tui import api_server, context_commands, search_command, session_find, tool_commands

    commands = CommandRegistry()
    _register_help(commands)
    search_command.register(commands)
    api_server.register(commands)
    tool_commands.register(commands)
    context_commands.register(commands)
    session_find.register(commands)
    return commands
