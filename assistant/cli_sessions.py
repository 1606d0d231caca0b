"""``fireside sessions …``: list, show, delete and export saved conversations; import,
search and export-all are in :mod:`assistant.cli_archive` (registered on the same app)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError
from assistant.render import (
    STATUS_MARKS,
    message_stats,
    session_dict,
    session_markdown,
    session_totals,
)
from assistant.sessions import Message, Session, Sessions, ToolStep

sessions_app = typer.Typer(
    help="List, show, search, delete, export and import saved chat sessions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class ExportFormat(StrEnum):
    md = "md"
    json = "json"
    jsonl = "jsonl"  # every column of every chat, one per line: what `import` reads back


def _sessions() -> Sessions:
    from assistant.sessions import open_sessions

    return open_sessions()


def _load(session_id: str) -> tuple[Session, list[Message]]:
    """The session and its messages, or a one-line error and exit."""
    session, messages, _steps = _load_all(session_id)
    return session, messages


def _load_all(session_id: str) -> tuple[Session, list[Message], list[ToolStep]]:
    """The session, its messages and its tool steps, or a one-line error and exit."""
    try:
        sessions = _sessions()
        session = sessions.get(session_id)
        return session, sessions.messages(session.id), sessions.tool_steps(session.id)
    except FiresideError as exc:
        raise exit_for(exc) from None


@sessions_app.command("list")
def list_sessions(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most N sessions.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sessions, most recently used first."""
    try:
        sessions = _sessions().recent(limit=limit)
    except FiresideError as exc:
        raise exit_for(exc) from None
    if as_json:
        typer.echo(json.dumps([s.__dict__ for s in sessions], ensure_ascii=False))
        return
    if not sessions:
        typer.echo("No sessions yet. Start one with `fireside` or `fireside chat \"…\"`.")
        return
    typer.echo(f"{'ID':<12}  {'UPDATED':<16}  {'MSGS':>4}  TITLE")
    for s in sessions:
        updated = s.updated_at[:16].replace("T", " ")
        origin = f"  ({s.source})" if s.source else ""
        typer.echo(f"{s.id:<12}  {updated:<16}  {s.message_count:>4}  {s.title}{origin}")


@sessions_app.command("show")
def show_session(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
) -> None:
    """Print a session's messages with their model, token counts and speed, the tools
    each answer called (results folded), and the code chunks its prompt held."""
    from assistant.tool_render import call_line, fold, result_summary, steps_by_message

    session, messages, steps = _load_all(session_id)
    by_answer = steps_by_message(steps)
    try:
        sources = _sessions().sources(session.id)
    except FiresideError as exc:
        raise exit_for(exc) from None
    origin = f", imported from {session.source}" if session.source else ""
    typer.echo(f"{session.title}  ({session.id}, {len(messages)} messages{origin})")
    for message in messages:
        mark = STATUS_MARKS.get(message.status, "")
        typer.echo("")
        typer.secho(f"{message.role} {mark}".rstrip() + ":", bold=True)
        for step in by_answer.get(message.id, []):
            summary = result_summary(step.ok, step.duration_ms, step.truncated)
            typer.secho(f"  → {call_line(step.name, step.arguments)}  ({summary})", dim=True)
            for line in fold(step.result).splitlines():
                typer.secho(f"    {line}", dim=True)
        typer.echo(message.content)
        if message.role == "assistant" and (stats := message_stats(message)):
            typer.secho(f"  ({stats})", dim=True)
        if message.id in sources:
            cited = ", ".join(source.citation for source in sources[message.id])
            typer.secho(f"  context: {cited}", dim=True)
    if any(m.role == "assistant" for m in messages):
        typer.echo("")
        typer.secho(f"Total: {session_totals(messages)}", dim=True)


def _register_context() -> None:
    from assistant.cli_context import session_context

    sessions_app.command("context")(session_context)


_register_context()


@sessions_app.command("delete")
def delete_session(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a session, its messages and its saved model state."""
    try:
        sessions = _sessions()
        session = sessions.get(session_id)
        if not yes and sys.stdin.isatty():
            typer.confirm(f"Delete {session.id} “{session.title}”?", abort=True)
        sessions.delete(session.id)  # with its saved model state, if any
    except FiresideError as exc:
        raise exit_for(exc) from None
    typer.echo(f"Deleted session {session.id}.")


@sessions_app.command("export")
def export_session(
    session_id: Annotated[
        str | None, typer.Argument(help="Session id (or a unique prefix); or use --all.")
    ] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="md (Markdown), json, or jsonl (for backups and "
                     "`sessions import`)."),
    ] = ExportFormat.md,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    all_sessions: Annotated[
        bool, typer.Option("--all", help="Every session (with --format jsonl).")
    ] = False,
) -> None:
    """Export a session as Markdown or JSON, or every session as JSON Lines
    (`--all --format jsonl`): `fireside sessions import` reads that back losing nothing."""
    if all_sessions or fmt is ExportFormat.jsonl:
        from assistant.cli_archive import export_jsonl

        export_jsonl(session_id, all_sessions, fmt.value, output)
        return
    if session_id is None:
        typer.echo("Error: give a session id, or --all --format jsonl", err=True)
        raise typer.Exit(2)
    session, messages, steps = _load_all(session_id)
    if fmt is ExportFormat.json:
        data = session_dict(session, messages, steps)
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = session_markdown(session, messages, steps)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"Error: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Wrote {output}.", err=True)


def _register_archive() -> None:
    from assistant.cli_archive import register

    register(sessions_app)


_register_archive()
