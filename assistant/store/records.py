"""The records the store hands out (:class:`Session`, :class:`Message`, :class:`ToolStep`),
new session ids and the store's timestamps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Session:
    id: str
    title: str
    model: str | None
    created_at: str
    updated_at: str
    message_count: int = 0
    source: str | None = None  # where an imported chat came from ("chatgpt", …); None: here


@dataclass(frozen=True)
class Message:
    id: int
    session_id: str
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_ms: float | None
    tokens_per_s: float | None
    total_ms: float | None
    created_at: str
    provider: str | None = None  # "local" or a hosted [providers.NAME]; None before v3
    cost_usd: float | None = None  # hosted answers with a known price
    attachment_text: str | None = None  # imported: the extracted text of its attachments


@dataclass(frozen=True)
class ToolStep:
    """One tool call of a turn and its result (``message_id``: the answer it led to)."""

    id: int
    session_id: str
    message_id: int | None
    step: int
    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    result: str
    truncated: bool
    duration_ms: float
    created_at: str


def now() -> str:
    """The store's timestamp: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]
