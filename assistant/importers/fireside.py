"""Fireside's own JSON Lines export (``fireside sessions export --all --format jsonl``): one
chat per line with every column the store keeps; read back unchanged (same session ids, so a
second import of the same file adds nothing)."""

from __future__ import annotations

import json
from typing import Any

from assistant.errors import ImportFormatError
from assistant.importers.common import Parsed
from assistant.store import ImportedMessage, ImportedSession

SOURCE = "fireside"
_MESSAGE_FIELDS = ("role", "content", "created_at", "model", "attachment_text")
_SESSION_FIELDS = ("id", "title", "model", "created_at", "updated_at", "source", "source_id")


def looks_like(first_line: str) -> bool:
    try:
        data = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(data, dict) and "fireside_export" in data


def _session(record: dict[str, Any], line: int) -> ImportedSession:
    try:
        session = dict(record["session"])
        messages = []
        for raw in record.get("messages") or []:
            raw = dict(raw)
            fields = {k: raw.pop(k, None) for k in _MESSAGE_FIELDS}
            if not isinstance(fields["content"], str) or not fields["created_at"]:
                raise ValueError("a message without content or time")
            messages.append(ImportedMessage(**fields, extra=raw))
        known = {k: session.pop(k, None) for k in _SESSION_FIELDS}
        if not known["id"] or not known["created_at"]:
            raise ValueError("a session without id or time")
        return ImportedSession(
            source=known["source"], source_id=known["source_id"], title=known["title"] or "",
            created_at=known["created_at"], updated_at=known["updated_at"] or known["created_at"],
            messages=messages, model=known["model"], id=known["id"], extra=session,
            tool_steps=[dict(r) for r in record.get("tool_steps") or []],
            message_sources=[dict(r) for r in record.get("message_sources") or []],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportFormatError(f"line {line} is not a Fireside session record ({exc})") from None


def parse_lines(lines: list[str]) -> Parsed:
    parsed = Parsed(SOURCE)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ImportFormatError(f"line {number} is not JSON ({exc.args[0]})") from None
        if not isinstance(record, dict) or "fireside_export" not in record:
            raise ImportFormatError(f"line {number} is not a Fireside session record")
        if record["fireside_export"] != 1:
            raise ImportFormatError(
                f"line {number} is a version {record['fireside_export']} export; this Fireside"
                " reads version 1")
        parsed.sessions.append(_session(record, number))
    return parsed
