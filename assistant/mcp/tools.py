"""MCP servers' tools as registry tools (``server.tool``), and the registry loader that starts
the servers the first time a turn offers tools."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from assistant.mcp.convert import args_model, description, result_text, tool_name
from assistant.mcp.manager import READY, McpManager
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.tools.registry import Registry

log = logging.getLogger(__name__)


def server_tools(manager: McpManager, server: str) -> list[Tool]:
    """Registry tools for every tool ``server`` listed (it must have started)."""
    out = []
    for mcp_tool in manager.tools(server):
        out.append(make_tool(manager, server, mcp_tool))
    return out


def make_tool(manager: McpManager, server: str, mcp_tool: Any) -> Tool:
    """One MCP tool as a registry tool: its schema as the arguments schema, unknown risk
    (asks before running unless ``[tools] permissions`` allows it)."""
    name = tool_name(server, mcp_tool.name)
    remote = mcp_tool.name

    def run(args: Any, ctx: ToolContext) -> ToolOutput:
        timeout = manager.timeout(server)
        left = ctx.remaining()
        if left is not None:
            timeout = min(timeout, left)
        arguments = args.model_dump()
        result = manager.call(server, remote, arguments, timeout, ctx.cancel)
        text = result_text(result)  # raises ToolError for an isError result
        return ToolOutput(text, data=result.model_dump(mode="json", exclude_none=True))

    return Tool(
        name=name,
        description=description(server, mcp_tool.description),
        args=args_model(name, mcp_tool.input_schema),
        risk=Risk.UNKNOWN,
        run=run,
        available=lambda _ctx: manager.state(server) == READY,
    )


def add_tools(registry: Registry, manager: McpManager) -> None:
    """Register the started servers' tools and note each server that failed."""
    for server in manager.names():
        for tool in server_tools(manager, server):
            try:
                registry.register(tool)
            except ValueError as exc:  # two tools with one name after cleaning
                registry.note(f"MCP tool {tool.name} skipped: {exc}")
    for line in manager.problems():
        registry.note(line)


def loader(settings: Settings) -> Any:
    """A registry loader (see ``Registry.add_loader``) that starts the configured servers
    and adds their tools; the manager it makes ends them at exit."""

    def load(registry: Registry) -> None:
        manager = McpManager.from_settings(settings)
        registry.on_close(manager.close)
        manager.start()
        add_tools(registry, manager)
        ready = [n for n in manager.names() if manager.state(n) == READY]
        log.info("MCP servers ready: %s", ", ".join(ready) or "none")

    return load


def loading_note(settings: Settings) -> str | None:
    names = [n for n, c in settings.mcp.servers.items() if c.enabled]
    return f"starting MCP servers: {', '.join(names)}…" if names else None
