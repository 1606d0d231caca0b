"""``fireside models …``: the local model and the configured hosted ones.

Listing reads only the configuration (and which keys are set): it never contacts an
endpoint. The rows come from :mod:`assistant.model_catalog` (the TUI's picker uses them too).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.errors import FiresideError
from assistant.model_catalog import model_rows

models_app = typer.Typer(
    help="Show the local model and the configured hosted models.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@models_app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Local and hosted models with their provider; pick one with `chat --model ID`."""
    from assistant.config import load_settings

    try:
        settings = load_settings()
        rows = model_rows(settings)
    except FiresideError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        typer.echo(json.dumps({"policy": settings.policy, "models": rows}, ensure_ascii=False))
        return
    typer.echo(f"policy: {settings.policy}")
    typer.echo(f"{'MODEL':<36}  {'PROVIDER':<12}  {'KIND':<9}  NOTES")
    for row in rows:
        note = row["note"] or row["where"]
        if row["provider"] == "local" and row["ready"]:
            note = row["where"]
        typer.echo(f"{row['id']:<36}  {row['provider']:<12}  {row['kind']:<9}  {note}")
    if not settings.providers:
        typer.echo("\nNo hosted providers: add a [providers.NAME] table to config.toml.")
