"""``/context`` (what the model is sent), ``/add PATH[:START-END]`` and ``/drop [PATH]``
(files pinned to the chat), and Tab completion of project paths after ``/add``/``/drop``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import FiresideError
from tui.commands import CommandError, CommandRegistry

if TYPE_CHECKING:
    from tui.chat_screen import ChatScreen


def register(commands: CommandRegistry) -> None:
    @commands.command("context", "Show what the model is sent, with token counts")
    def context(screen: ChatScreen, args: str) -> None:
        screen.run_worker(lambda: _open_panel(screen, args), thread=True, group="context")

    @commands.command(
        "add", "Pin a file (or lines) into every turn of this chat", usage="/add PATH[:START-END]"
    )
    def add(screen: ChatScreen, args: str) -> None:
        from assistant.pins import parse_pin

        if not args:
            raise CommandError("Give a file: /add PATH or /add PATH:START-END")
        pin = parse_pin(args)
        screen.run_worker(lambda: _add(screen, pin), thread=True, group="pins")

    @commands.command("drop", "Unpin a file (no PATH: all of them)", usage="/drop [PATH]")
    def drop(screen: ChatScreen, args: str) -> None:
        from assistant.context_inspect import save_pins

        before = list(screen.pins)
        if args:
            screen.pins = [p for p in before if p.path != args and p.label != args]
            if len(screen.pins) == len(before):
                raise CommandError(f"{args} is not pinned (/context lists the pins)")
        else:
            screen.pins = []
        if screen.session_id is not None:
            save_pins(screen.orchestrator, screen.session_id, screen.pins)
        screen.notify(f"Unpinned {args or 'all files'}.", markup=False)


def _open_panel(screen: ChatScreen, question: str) -> None:
    """On a worker thread: build the reports, then show the panel."""
    from assistant.context_inspect import last_report, preview
    from assistant.context_report import format_report
    from tui.context_panel import ContextPanel

    orch = screen.orchestrator
    sections = []
    try:
        pins = screen.pins if screen.session_id is None else ()
        nxt = preview(orch, screen.session_id, question, tools=screen.tools_on, pins=pins)
        sections.append(("Next turn", format_report(nxt)))
        if screen.session_id is not None:
            last = last_report(orch, screen.session_id)
            if last is not None:
                sections.append(("Last turn, as sent", format_report(last)))
    except FiresideError as exc:
        screen.app.call_from_thread(screen.notify, str(exc), title="/context",
                                    severity="error", markup=False)
        return
    screen.app.call_from_thread(screen.app.push_screen, ContextPanel(sections))


def _add(screen: ChatScreen, pin: object) -> None:
    from assistant.context_inspect import add_pin

    try:
        saved = add_pin(screen.orchestrator, screen.session_id, pin, screen.pins)  # type: ignore[arg-type]
    except FiresideError as exc:
        screen.app.call_from_thread(screen.notify, str(exc), title="/add",
                                    severity="error", markup=False)
        return
    screen.pins = [p for p in screen.pins if p != saved] + [saved]
    screen.app.call_from_thread(
        screen.notify, f"Pinned {saved.label}: it goes into every turn of this chat.",
        markup=False,
    )


def complete(root: Path | None, text: str) -> str | None:
    """``/add pa`` → ``/add path/`` (the longest common completion among project paths), or
    None when there is nothing to complete."""
    command, _, partial = text.partition(" ")
    if command not in ("/add", "/drop") or root is None or "\n" in partial:
        return None
    folder, _, stem = partial.rpartition("/")
    base = root / folder if folder else root
    try:
        names = sorted(
            n + ("/" if (base / n).is_dir() else "")
            for n in os.listdir(base)
            if n.startswith(stem) and not n.startswith(".git")
        )
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix(names)
    if len(common) <= len(stem):
        return None
    return f"{command} {folder + '/' if folder else ''}{common}"
