"""Tools the assistant can call (web_search, fetch_url, code_search, read_file), one module
each, registered in one registry; plugins add tools through the ``fireside.tools`` entry point
group. Nothing here imports a network or model library at import time."""

from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput
from assistant.tools.registry import Registry, default_registry

__all__ = ["Registry", "Risk", "Tool", "ToolContext", "ToolOutput", "default_registry"]
