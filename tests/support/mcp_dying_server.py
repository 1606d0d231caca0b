"""A stdio MCP server whose ``die`` tool ends the process in the middle of the call."""

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("dying")


@server.tool()
def ping() -> str:
    """Answers pong."""
    return "pong"


@server.tool()
def die() -> str:
    """Ends the server's process without answering."""
    os._exit(3)


@server.tool()
def environment() -> str:
    """The names of the server's environment variables."""
    return ",".join(sorted(os.environ))


if __name__ == "__main__":
    server.run()
