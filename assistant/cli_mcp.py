"""``fireside mcp …``: list and test the configured MCP servers, and import servers from
Claude Desktop, Cursor or VS Code."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError

mcp_app = typer.Typer(
    help="MCP servers whose tools the model may call ([mcp.servers.NAME] in config.toml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _settings() -> Any:
    from assistant.config import load_settings

    try:
        return load_settings()
    except FiresideError as exc:
        raise exit_for(exc) from None


@mcp_app.command("list")
def list_servers(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    start: Annotated[
        bool, typer.Option("--start/--no-start", help="Start the servers to list their tools.")
    ] = True,
) -> None:
    """Show each configured server, its state and its tools (starts them, calls nothing)."""
    from assistant.mcp import McpManager

    settings = _settings()
    if not settings.mcp.servers:
        typer.echo(
            "No MCP servers configured. Add [mcp.servers.NAME] tables to config.toml or run "
            "`fireside mcp add-from PATH`.", err=True,
        )
        if as_json:
            typer.echo("[]")
        return
    manager = McpManager.from_settings(settings)
    try:
        if start:
            if not as_json:
                typer.echo(f"starting {len(manager.names())} server(s)…", err=True)
            manager.start()
        infos = manager.info()
    finally:
        manager.close()
    if as_json:
        rows = [{**asdict(i), "tools": [{"name": f"{i.name}.{t}", "description": d}
                                         for t, d in i.tools]} for i in infos]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for info in infos:
        _print_server(info, settings.mcp.servers[info.name], detail=False)


@mcp_app.command("test")
def test_server(
    name: Annotated[str, typer.Argument(help="The server's name ([mcp.servers.NAME]).")],
) -> None:
    """Start one server (even a disabled one), list its tools and stop it; calls no tool."""
    from assistant.mcp import McpManager

    settings = _settings()
    if name not in settings.mcp.servers:
        known = ", ".join(settings.mcp.servers) or "none"
        raise exit_for(FiresideError(f"no MCP server named {name!r} (configured: {known})"))
    manager = McpManager.from_settings(settings, names=[name])
    typer.echo(f"starting {name}…", err=True)
    try:
        manager.start()
        info = manager.info()[0]
    finally:
        manager.close()
    _print_server(info, settings.mcp.servers[name], detail=True)
    if info.state != "ready":
        raise typer.Exit(1)


def _print_server(info: Any, config: Any, detail: bool) -> None:
    where = config.url or " ".join([config.command, *config.args])
    typer.echo(f"{info.name}  {info.state}  {info.kind}: {where}")
    if info.error:
        typer.echo(f"  {info.error}")
        if info.log and detail:
            typer.echo(f"  server log: {info.log}")
    if not info.tools:
        return
    if not detail:
        names = ", ".join(f"{info.name}.{t}" for t, _ in info.tools)
        typer.echo(f"  {len(info.tools)} tool(s): {names}")
        return
    typer.echo(f"  {len(info.tools)} tool(s):")
    for tool, description in info.tools:
        text = description if len(description) <= 100 else description[:99] + "…"
        typer.echo(f"    {info.name}.{tool}  {text}".rstrip())


@mcp_app.command("add-from")
def add_from(
    path: Annotated[Path, typer.Argument(
        help="claude_desktop_config.json, Cursor's mcp.json or VS Code's .vscode/mcp.json.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added; change nothing.")
    ] = False,
) -> None:
    """Add the MCP servers of a Claude Desktop, Cursor or VS Code config to config.toml
    (secret-looking values go to the keyring, never into the file)."""
    from assistant.mcp.importer import add_from as do_import
    from assistant.paths import get_paths

    config_file = get_paths().config_file
    try:
        result = do_import(path.expanduser(), config_file, dry_run=dry_run)
    except FiresideError as exc:
        raise exit_for(exc) from None
    if dry_run and result.text:
        typer.echo(result.text.strip())
    for line in result.notes:
        typer.echo(f"note: {line}", err=True)
    for line in result.skipped:
        typer.echo(f"skipped {line}", err=True)
    verb = "would add" if dry_run else "added"
    names = ", ".join(result.added) or "no servers"
    where = "" if dry_run or not result.added else f" to {config_file}"
    typer.echo(f"{verb} {names}{where}" + (f"; {len(result.skipped)} skipped"
                                            if result.skipped else ""))
