"""What a tool is: a name, a description, a pydantic model of its arguments, a risk level and a
function. The registry (``assistant.tools.registry``) offers tools to the model, checks policy,
validates arguments, runs them and caps their results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store


class Risk(StrEnum):
    """How much harm a call can do. READ and NETWORK tools run without asking by default
    (configurable); WRITE and EXECUTE always ask, and "always allow" never covers them;
    UNKNOWN tools ask by default, like any tool without an "allow" in the config."""

    READ = "read"  # reads local data (code_search, read_file)
    NETWORK = "network"  # read-only network access (web_search, fetch_url)
    WRITE = "write"  # changes files or state
    EXECUTE = "execute"  # runs commands
    UNKNOWN = "unknown"  # an MCP server's or plugin's tool: asks unless configured to allow

    @property
    def always_asks(self) -> bool:
        return self in (Risk.WRITE, Risk.EXECUTE)


@dataclass
class ToolContext:
    """What a tool may use while it runs."""

    settings: Settings
    store: Store | None = None
    project_root: Path | None = None  # the indexed project (read_file, code_search)
    cancel: threading.Event = field(default_factory=threading.Event)
    deadline: float | None = None  # time.monotonic() by which the tool must give up
    count_tokens: Callable[[str], int] | None = None  # the model's tokenizer; None: estimate

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative); None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class ToolOutput:
    """A tool's result: ``text`` is what the model sees (before capping); ``data`` is the
    structured form for ``--json`` output and the API."""

    text: str
    data: Any = None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[BaseModel]
    risk: Risk
    run: Callable[[Any, ToolContext], ToolOutput]  # (validated args model, context)
    available: Callable[[ToolContext], bool] = lambda _ctx: True  # e.g. code_search: an index

    def json_schema(self) -> dict[str, Any]:
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return schema
