"""What every importer shares: the result type, skip reasons, times and short notes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant.store import ImportedMessage, ImportedSession

NOTE_LIMIT = 160  # characters of a tool output or web quote kept in a bracketed note


@dataclass
class Parsed:
    """Chats read from one file, and what was left out (reason → count)."""

    source: str
    sessions: list[ImportedSession] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def iso(value: Any) -> str | None:
    """A time (Unix seconds or an ISO 8601 string, with or without zone; naive = UTC) in the
    store's form, ``2024-05-01T12:00:00.000+00:00``; None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(float(value), UTC)
        else:
            text = str(value).strip().replace(" ", "T", 1)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def note(kind: str, detail: str = "") -> str:
    """A short bracketed note standing for content that is not text: ``[image 512×512]``."""
    detail = " ".join(str(detail).split())
    if len(detail) > NOTE_LIMIT:
        detail = detail[: NOTE_LIMIT - 1].rstrip() + "…"
    return f"[{kind}: {detail}]" if detail else f"[{kind}]"


def compact_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


def add_message(messages: list[ImportedMessage], message: ImportedMessage) -> None:
    """Append, joining a message to the previous one of the same role (a tool's output
    after the call that asked for it reads as one answer, as it did in the original)."""
    if not message.content.strip() and not message.attachment_text:
        return
    last = messages[-1] if messages else None
    if last is not None and last.role == message.role and message.role != "system":
        last.content = "\n\n".join(p for p in (last.content, message.content) if p)
        if message.attachment_text:
            last.attachment_text = "\n\n".join(
                p for p in (last.attachment_text, message.attachment_text) if p)
        last.model = last.model or message.model
        return
    messages.append(message)


def finish(
    parsed: Parsed,
    *,
    source_id: str | None,
    title: str | None,
    created: str | None,
    updated: str | None,
    messages: list[ImportedMessage],
) -> None:
    """Add one chat to ``parsed`` (or count why it was left out)."""
    if not source_id:
        parsed.skipped["conversation without an id"] += 1
        return
    if not messages:
        parsed.skipped["empty conversation"] += 1
        return
    created = created or messages[0].created_at
    updated = updated or messages[-1].created_at or created
    models = [m.model for m in messages if m.role == "assistant" and m.model]
    parsed.sessions.append(ImportedSession(
        source=parsed.source,
        source_id=str(source_id),
        title=(" ".join((title or "").split()) or _title_from(messages))[:200],
        created_at=created,
        updated_at=max(updated, created),
        messages=messages,
        model=models[-1] if models else None,
    ))


def _title_from(messages: list[ImportedMessage]) -> str:
    for m in messages:
        if m.role == "user" and m.content.strip():
            words = " ".join(m.content.split())
            return words[:60] + ("…" if len(words) > 60 else "")
    return "Imported chat"
