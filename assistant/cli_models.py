"""``fireside models …``: the local model and the configured hosted ones.

Listing reads only the configuration (and which keys are set): it never contacts an
endpoint.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from assistant.errors import FiresideError

models_app = typer.Typer(
    help="Show the local model and the configured hosted models.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def model_rows(settings: Any) -> list[dict[str, Any]]:
    """One row per model: local first, then each provider's models (its default first)."""
    from assistant.secrets import list_keys
    from providers.models import model_name, resolve_model_path
    from providers.router import resolve_hosted

    rows: list[dict[str, Any]] = []
    try:
        path = resolve_model_path(settings.model)
        local: dict[str, Any] = {"id": model_name(path), "provider": "local", "kind": "llama.cpp",
                                 "where": str(path), "ready": True, "note": ""}
    except FiresideError as exc:
        local = {"id": settings.model or "default", "provider": "local", "kind": "llama.cpp",
                 "where": "", "ready": False, "note": str(exc)}
    rows.append(local)
    default: tuple[str, str] | None = None
    if settings.providers and settings.policy != "local":
        try:
            default = resolve_hosted(settings)
        except FiresideError:
            default = None
    for name, config in settings.providers.items():
        key = name if config.key is None else config.key
        if key:
            source = list_keys([key])
            info = next((k for k in source if k.name == key.lower()), None)
            key_state = f"key {key}: " + (
                "not set" if info is None or info.source == "missing" else info.source
            )
            ready = info is not None and info.source != "missing"
        else:
            key_state, ready = "no key needed", True
        for model in dict.fromkeys([config.model, *config.models]):
            rows.append({
                "id": f"{name}/{model}",
                "provider": name,
                "kind": config.kind,
                "where": config.base_url or "(vendor default)",
                "ready": ready,
                "note": key_state + (" · hosted default" if default == (name, model) else ""),
            })
    return rows


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
