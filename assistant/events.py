"""The stream events every front end renders (TUI, CLI, and later the HTTP API as SSE).

One small typed vocabulary: ``status``, ``token``, ``context``, ``tool_call``,
``tool_result``, ``message_done``, ``error``, ``done``. Each event is a frozen dataclass with a
``type`` tag and ``to_dict()`` giving the JSON shape the API streams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Timings:
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    total_ms: float = 0.0


@dataclass(frozen=True)
class StatusEvent:
    """Progress a user may want to see: loading the model, history trimmed, and so on."""

    text: str
    type: Literal["status"] = "status"


@dataclass(frozen=True)
class TokenEvent:
    """A piece of the answer's text, in order."""

    text: str
    type: Literal["token"] = "token"


@dataclass(frozen=True)
class Source:
    """A code chunk put into the prompt: cite it as ``path:start_line-end_line``."""

    path: str  # relative to the indexed project root
    start_line: int
    end_line: int
    score: float = 0.0
    symbol: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"


@dataclass(frozen=True)
class ContextEvent:
    """What went into the prompt: message count, tokens, and how many old messages were dropped;
    and which model answers (sent again if a fallback turn moves to a hosted model)."""

    messages: int
    prompt_tokens: int
    context_size: int
    dropped_messages: int = 0
    model: str = ""  # who answers this turn: a local model's name or "provider/model"
    provider: str = "local"  # "local" or the hosted [providers.NAME] the turn is sent to
    sources: tuple[Source, ...] = ()  # code chunks retrieved from the index for this turn
    left_out: int = 0  # chunks the index found but the relevance floor left out
    tools_off: str | None = None  # why the model was offered no tools ([tools] offer)
    type: Literal["context"] = "context"


@dataclass(frozen=True)
class ToolCallEvent:
    """The model called a tool (shown before it runs; ``step`` counts from 1 per turn)."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    step: int = 1
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class ToolResultEvent:
    """What a tool returned (already capped to its token budget) or why it failed."""

    call_id: str
    name: str
    ok: bool
    content: str  # the text the model sees (an error message when ``ok`` is false)
    truncated: bool = False
    duration_ms: float = 0.0
    step: int = 1
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True)
class MessageDoneEvent:
    """The assistant message is complete (or stopped) and saved."""

    message_id: int
    session_id: str
    model: str
    content: str
    status: Literal["complete", "cancelled", "error"]
    finish_reason: str | None
    usage: Usage = field(default_factory=Usage)
    timings: Timings = field(default_factory=Timings)
    provider: str = "local"  # "local" or the hosted [providers.NAME] that answered
    cost_usd: float | None = None  # hosted answers with a known price; None: unknown
    type: Literal["message_done"] = "message_done"


@dataclass(frozen=True)
class ErrorEvent:
    """The turn failed; ``message`` is one line a user can act on."""

    message: str
    type: Literal["error"] = "error"


@dataclass(frozen=True)
class DoneEvent:
    """The turn is over (always the last event)."""

    session_id: str
    type: Literal["done"] = "done"


Event = (
    StatusEvent
    | TokenEvent
    | ContextEvent
    | ToolCallEvent
    | ToolResultEvent
    | MessageDoneEvent
    | ErrorEvent
    | DoneEvent
)


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON-ready form of an event (``type`` first)."""
    data = asdict(event)
    return {"type": data.pop("type"), **data}
