"""``fireside sessions import | search`` and ``export --all --format jsonl``: chats from
ChatGPT, Claude and llm, full-text search over every message, and full backups."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError


class ImportFormat(StrEnum):
    chatgpt = "chatgpt"
    claude = "claude"
    llm = "llm"
    fireside = "fireside"


def import_sessions(
    path: Annotated[
        Path,
        typer.Argument(help="A ChatGPT or Claude export (.zip, conversations.json, or "
                       "conversations-000.json of a split export), an llm logs.db, or a "
                       "Fireside .jsonl export."),
    ],
    source: Annotated[
        ImportFormat | None,
        typer.Option("--from", help="The file's format (detected when not given)."),
    ] = None,
) -> None:
    """Import past chats. Importing the same file again adds nothing; a file that cannot be
    read imports nothing. Imported chats can be searched and continued like any other."""
    from assistant.importers import import_file
    from assistant.store import open_store

    if sys.stderr.isatty():
        typer.echo(f"Reading {path.name}…", err=True)
    try:
        store = open_store()
        summary = import_file(store, path.expanduser(), source.value if source else None)
    except FiresideError as exc:
        raise exit_for(exc) from None
    typer.echo(summary.line)


def search_sessions(
    query: Annotated[str, typer.Argument(help="Words to find (all must occur; word* = prefix).")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most N chats.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find chats by what was said in them (imported ones included), best match first."""
    from assistant.sessions import open_sessions

    tty = sys.stdout.isatty() and not as_json
    marks = ("\x1b[1m", "\x1b[22m") if tty else ("**", "**")
    try:
        hits = open_sessions().search(query, limit=limit, marks=marks)
    except FiresideError as exc:
        raise exit_for(exc) from None
    if as_json:
        typer.echo(json.dumps([h.__dict__ for h in hits], ensure_ascii=False))
        return
    if not hits:
        typer.echo(f"No chat mentions {query!r}.")
        return
    for hit in hits:
        origin = f"  ({hit.source})" if hit.source else ""
        typer.echo(f"{hit.session_id:<12}  {hit.created_at[:10]}  {hit.title}{origin}")
        typer.echo(f"    {hit.role}: {hit.snippet}")


def export_jsonl(
    session_id: str | None, all_sessions: bool, fmt: str, output: Path | None
) -> None:
    """Write chats as JSON Lines (one chat per line, every column)."""
    from assistant.sessions import open_sessions

    if fmt != "jsonl":
        typer.echo("Error: --all writes JSON Lines; add --format jsonl", err=True)
        raise typer.Exit(2)
    if all_sessions == (session_id is not None):
        typer.echo("Error: give either a session id or --all", err=True)
        raise typer.Exit(2)
    try:
        sessions = open_sessions()
        ids = None if all_sessions else [sessions.get(str(session_id)).id]
        handle = sys.stdout if output is None else output.open("w", encoding="utf-8")
    except FiresideError as exc:
        raise exit_for(exc) from None
    except OSError as exc:
        typer.echo(f"Error: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    count = 0
    try:
        for record in sessions.export(ids):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    except FiresideError as exc:
        raise exit_for(exc) from None
    finally:
        if output is not None:
            handle.close()
    if output is not None:
        typer.echo(f"Wrote {count} session{'s' * (count != 1)} to {output}.", err=True)


def register(app: typer.Typer) -> None:
    """Add ``import`` and ``search`` to the ``sessions`` command group."""
    app.command("import")(import_sessions)
    app.command("search")(search_sessions)
