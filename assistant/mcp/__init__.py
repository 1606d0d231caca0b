"""MCP client: tools of Model Context Protocol servers (``[mcp.servers.NAME]``) join the tool
registry as ``NAME.tool``. Built on the official ``mcp`` SDK (imported lazily).

Exports :class:`McpManager` (running servers), :func:`loader` (the registry hook) and
:func:`make_tool`."""

from assistant.mcp.manager import McpManager, ServerInfo, ServerSpec
from assistant.mcp.tools import add_tools, loader, loading_note, make_tool

__all__ = ["McpManager", "ServerInfo", "ServerSpec", "add_tools", "loader", "loading_note",
           "make_tool"]
