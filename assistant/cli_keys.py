"""``fireside keys …``: store, list and delete API keys for hosted providers.

Keys go to the OS keyring (``assistant.secrets``); values are read with a hidden prompt or
from standard input and are never printed.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError, KeyringUnavailableError

keys_app = typer.Typer(
    help="Store, list and delete API keys for hosted models (OS keyring or "
    "FIRESIDE_<NAME>_API_KEY).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _configured_key_names() -> list[str]:
    """Key names the configured providers use (a broken config just contributes none)."""
    from assistant.config import load_settings

    try:
        settings = load_settings()
    except FiresideError:
        return []
    names = []
    for name, provider in settings.providers.items():
        key = name if provider.key is None else provider.key
        if key:
            names.append(key)
    return names


@keys_app.command("set")
def set_key(
    name: Annotated[str, typer.Argument(help="Key name, e.g. openai, anthropic, openrouter.")],
    from_stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the key from standard input (one line).")
    ] = False,
) -> None:
    """Store an API key in the OS keyring (asked for with hidden input)."""
    from assistant import secrets

    try:
        name = secrets.check_name(name)
        available, reason = secrets.keyring_status()
        if not available:
            raise KeyringUnavailableError(
                f"cannot store the key: {reason}; set {secrets.env_var(name)} in the "
                "environment instead (Fireside never writes keys to a plaintext file)"
            )
        if from_stdin:
            value = sys.stdin.readline()
        else:
            value = typer.prompt(f"API key for {name}", hide_input=True, default="",
                                 show_default=False)
        secrets.set_key(name, value)
    except FiresideError as exc:
        raise exit_for(exc) from None
    typer.echo(f"Stored key {name!r} in the OS keyring.")


@keys_app.command("list")
def list_keys() -> None:
    """Key names and where each is stored (never the values)."""
    from assistant import secrets

    try:
        infos = secrets.list_keys(_configured_key_names())
    except FiresideError as exc:
        raise exit_for(exc) from None
    available, backend = secrets.keyring_status()
    typer.echo(f"keyring: {backend}" if available else f"keyring: none ({backend})")
    if not infos:
        typer.echo("No keys. Add one with `fireside keys set NAME`.")
        return
    typer.echo(f"{'NAME':<16}  STORED IN")
    where = {"env": "environment ({var})", "keyring": "OS keyring", "missing": "not set"}
    for info in infos:
        typer.echo(f"{info.name:<16}  {where[info.source].format(var=info.env_var)}")


@keys_app.command("delete")
def delete_key(
    name: Annotated[str, typer.Argument(help="Key name.")],
) -> None:
    """Delete an API key from the OS keyring."""
    from assistant import secrets

    try:
        secrets.delete_key(name)
    except FiresideError as exc:
        raise exit_for(exc) from None
    typer.echo(f"Deleted key {secrets.check_name(name)!r} from the OS keyring.")
