"""``fireside sessions context ID``: what a saved chat's last turn sent the model, part by
part with token counts (see :mod:`assistant.context_report`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.errors import FiresideError


def session_context(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the session's last answered turn sent: system prompt, each history message
    (kept or dropped), code chunks, pinned files, tool definitions, with token counts."""
    from assistant.context_report import ContextReport, format_report
    from assistant.store import open_store

    try:
        store = open_store()
        full = store.resolve_session_id(session_id)
        found = store.turn_context(full)
    except FiresideError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if found is None:
        typer.echo(f"Error: session {full} has no saved context report yet "
                   "(it is saved with each answer)", err=True)
        raise typer.Exit(1)
    report = ContextReport.from_dict(json.loads(found[1]))
    if as_json:
        typer.echo(json.dumps({"session_id": full, "message_id": found[0],
                               **report.to_dict()}, ensure_ascii=False))
    else:
        typer.echo(format_report(report))


def print_last_context(orchestrator: object, session_id: str | None) -> None:
    """``fireside chat --show-context``: the turn's breakdown on stderr."""
    from assistant.context_inspect import last_report
    from assistant.context_report import format_report

    if session_id is None:
        return
    try:
        report = last_report(orchestrator, session_id)  # type: ignore[arg-type]
    except FiresideError as exc:
        typer.echo(f"no context report: {exc}", err=True)
        return
    if report is not None:
        typer.echo(format_report(report), err=True)
