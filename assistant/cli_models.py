"""``fireside models …``: list, pull, use and remove models.

``list`` reads the configuration, directory listings and GGUF headers: it never contacts an
endpoint and never loads a model. Hosted rows come from :mod:`assistant.model_catalog` (the
TUI's picker uses them too); local GGUFs from :mod:`providers.localmodels.discovery`.
``pull`` lives in :mod:`assistant.cli_models_pull`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError
from assistant.model_catalog import model_rows

models_app = typer.Typer(
    help="List the models on this machine, pull new ones, pick the default, remove pulled ones.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def human_size(n: int | float | None) -> str:
    if not n:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def human_params(n: int | None) -> str:
    if not n:
        return "-"
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


@models_app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list files that were skipped, and why.")
    ] = False,
    suggested: Annotated[
        bool, typer.Option("--suggested", help="Also list recommended models to pull.")
    ] = False,
) -> None:
    """Local GGUF models (embedded, pulled, models_dirs, Ollama, LM Studio, Hugging Face
    cache) and the configured hosted ones. Use one with `fireside models use NAME` or
    `chat --model NAME`. Reads no weights and uses no network."""
    from assistant.config import load_settings
    from providers.localmodels.discovery import discover

    try:
        settings = load_settings()
        rows = model_rows(settings)
        found = discover(settings.models_dirs)
    except FiresideError as exc:
        raise exit_for(exc) from None
    default = rows[0]["where"] if rows and rows[0]["provider"] == "local" else ""
    catalog = _suggested_rows(found.models) if suggested else []
    if as_json:
        data: dict[str, Any] = {
            "policy": settings.policy,
            "models": rows,
            "local": [dict(m.to_json(), default=str(m.path) == default) for m in found.models],
        }
        if show_all:
            data["skipped"] = [s.to_json() for s in found.skipped]
        if suggested:
            data["suggested"] = catalog
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _print_rows(settings, rows)
    _print_local(found.models, default)
    if show_all:
        _print_skipped(found.skipped)
    if suggested:
        _print_suggested(catalog)


def _print_rows(settings: Any, rows: list[dict[str, Any]]) -> None:
    typer.echo(f"policy: {settings.policy}")
    typer.echo(f"{'MODEL':<36}  {'PROVIDER':<12}  {'KIND':<9}  NOTES")
    for row in rows:
        note = row["note"] or row["where"]
        if row["provider"] == "local" and row["ready"]:
            note = row["where"]
        typer.echo(f"{row['id']:<36}  {row['provider']:<12}  {row['kind']:<9}  {note}")
    if not settings.providers:
        typer.echo("\nNo hosted providers: add a [providers.NAME] table to config.toml.")


def _print_local(models: list[Any], default: str) -> None:
    typer.echo("\nLocal models (* the default; change it with `fireside models use NAME`):")
    width = max([len(m.name) for m in models] + [20])
    typer.echo(f"  {'NAME':<{width}}  {'SOURCE':<10}  {'SIZE':>8}  {'PARAMS':>6}  "
               f"{'ARCH':<10}  {'QUANT':<7}  {'CONTEXT':>7}  TOOLS")
    for m in models:
        mark = "*" if str(m.path) == default else " "
        parts = f" ({m.parts} parts)" if m.parts > 1 else ""
        typer.echo(
            f"{mark} {m.name:<{width}}  {m.source:<10}  {human_size(m.size):>8}  "
            f"{human_params(m.parameters):>6}  {(m.architecture or '-'):<10}  "
            f"{(m.quantization or '-'):<7}  {(m.context_length or '-')!s:>7}  "
            f"{'native' if m.native_tools else 'json'}{parts}"
        )
    if not models:
        typer.echo("  (none found)")


def _print_skipped(skipped: list[Any]) -> None:
    typer.echo("\nSkipped files:")
    for s in skipped:
        typer.echo(f"  {s.path} ({s.source}): {s.reason}")
    if not skipped:
        typer.echo("  (none)")


def _suggested_rows(models: list[Any]) -> list[dict[str, Any]]:
    from providers.localmodels.suggested import suggested_models

    have = {m.path.name.lower() for m in models}
    return [dict(s.to_json(), installed=s.file.lower() in have) for s in suggested_models()]


def _print_suggested(rows: list[dict[str, Any]]) -> None:
    typer.echo("\nSuggested models (get one with `fireside models pull NAME`):")
    typer.echo(f"  {'NAME':<20}  {'SIZE':>7}  {'RAM':>7}  {'TOOLS':<6}  {'LICENCE':<28}  REPO")
    for r in rows:
        have = "  (pulled)" if r["installed"] else ""
        typer.echo(
            f"  {r['name']:<20}  {r['size_gb']:>5.1f}GB  {r['ram_gb']:>5.1f}GB  "
            f"{'native' if r['native_tools'] else 'json':<6}  {r['licence'][:28]:<28}  "
            f"{r['repo']}{have}"
        )


@models_app.command("use")
def use_model(
    name: Annotated[str, typer.Argument(help="A name from `fireside models list`, or a "
                                        "path to a .gguf file; `default` for the embedded.")],
) -> None:
    """Make NAME the default model: sets `model` in config.toml, keeping the rest of the
    file and its comments as they are."""
    from pathlib import Path

    from assistant.config import load_settings
    from assistant.config_edit import set_top_level
    from assistant.paths import get_paths
    from providers.localmodels.discovery import find_model
    from providers.models import check_gguf

    try:
        settings = load_settings()
        config = get_paths().config_file
        if name in ("default", "embedded"):
            set_top_level(config, "model", None)
            typer.echo(f"default model: the embedded one ({config})")
            return
        found = find_model(name, settings.models_dirs)
        if found is not None:
            value, path = found.name, found.path
        else:
            path = Path(name).expanduser().resolve()
            if not path.is_file():
                typer.echo(f"Error: no model named {name!r}: see `fireside models list`",
                           err=True)
                raise typer.Exit(2)
            check_gguf(path)
            value = str(path)
        set_top_level(config, "model", value)
    except FiresideError as exc:
        raise exit_for(exc) from None
    typer.echo(f"default model: {value} ({path})")
    _memory_note(path, settings.context_size)


def _memory_note(path: Any, context: int) -> None:
    from providers.localmodels.memory import check_memory

    try:
        check_memory(path, context)
    except FiresideError as exc:
        typer.echo(f"Warning: {exc}", err=True)


@models_app.command("rm")
def remove_model(
    name: Annotated[str, typer.Argument(help="A model `fireside models pull` downloaded.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a model Fireside pulled. Models in Ollama's, LM Studio's or the Hugging Face
    cache's folders, and files you put anywhere yourself, are never touched."""
    from assistant.config import load_settings
    from providers.localmodels.discovery import find_model

    try:
        settings = load_settings()
        found = find_model(name, settings.models_dirs)
    except FiresideError as exc:
        raise exit_for(exc) from None
    if found is None:
        typer.echo(f"Error: no model named {name!r}: see `fireside models list`", err=True)
        raise typer.Exit(2)
    if not found.pulled:
        owner = {"ollama": "Ollama's store", "lmstudio": "LM Studio's folder",
                 "hf-cache": "the Hugging Face cache", "embedded": "the installed package"}
        where = owner.get(found.source, "a folder Fireside did not fill")
        typer.echo(f"Error: {found.name} is in {where} ({found.path}); Fireside removes only "
                   "models it pulled", err=True)
        raise typer.Exit(1)
    if not yes and not typer.confirm(f"Delete {found.name} ({human_size(found.size)})?"):
        raise typer.Exit(1)
    _delete_pulled(found, settings)


def _delete_pulled(found: Any, settings: Any) -> None:
    from assistant.config_edit import set_top_level
    from assistant.paths import get_paths
    from providers.localmodels.discovery import model_files
    from providers.localmodels.pulled import forget_pull

    for path in model_files(found):
        path.unlink(missing_ok=True)
        forget_pull(path.name)
    typer.echo(f"removed {found.name} ({human_size(found.size)} freed)")
    if settings.model in (found.name, str(found.path)):
        try:
            set_top_level(get_paths().config_file, "model", None)
        except FiresideError as exc:
            raise exit_for(exc) from None
        typer.echo("it was the default model: the embedded one is the default again")


def _register_pull() -> None:
    from assistant.cli_models_pull import pull_model

    models_app.command("pull")(pull_model)


_register_pull()
