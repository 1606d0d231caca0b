"""MCP servers for tests: an in-process one (the SDK's MCPServer, reached without a
subprocess) with a tool that has a schema, one that reports an error, a slow one and one
returning an image; and a stdio script whose ``die`` tool ends its own process mid-call."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import IO, Any

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from assistant.config_mcp import McpServerConfig
from assistant.mcp.launch import stdio_transport
from assistant.mcp.manager import ServerSpec

DYING_SCRIPT = Path(__file__).with_name("mcp_dying_server.py")


def demo_server() -> MCPServer:
    server = MCPServer("demo")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two whole numbers."""
        return a + b

    @server.tool()
    def refuse(reason: str) -> str:
        """Always fails with the given reason."""
        raise ToolError(f"refused: {reason}")

    @server.tool()
    async def slow(seconds: float) -> str:
        """Waits, then answers."""
        await asyncio.sleep(seconds)
        return "finally"

    @server.tool()
    def picture() -> Image:
        """Returns a tiny PNG."""
        return Image(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, format="png")

    return server


def in_process(name: str = "demo", timeout: float = 2.0, server: Any = None) -> ServerSpec:
    target = server if server is not None else demo_server()

    def connect(_pid: Path, _log: IO[str]) -> Any:
        return target

    return ServerSpec(name, connect, timeout)


def stdio_spec(name: str, command: str, *args: str, timeout: float = 10.0) -> ServerSpec:
    config = McpServerConfig(command=command, args=list(args), timeout=timeout)

    def connect(pid: Path, log: IO[str]) -> Any:
        return stdio_transport(config, pid, log)

    return ServerSpec(name, connect, timeout)


def dying_spec(name: str = "dying") -> ServerSpec:
    return stdio_spec(name, sys.executable, str(DYING_SCRIPT))
