"""Plain-text and JSON renderings of sessions, shared by the CLI (and later the API)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from assistant.store import Message, Session

STATUS_MARKS = {"cancelled": "[stopped]", "error": "[failed]"}


def session_dict(session: Session, messages: list[Message]) -> dict[str, Any]:
    return {
        "session": asdict(session),
        "messages": [asdict(m) for m in messages],
    }


def message_stats(message: Message) -> str:
    parts: list[str] = []
    if message.model:
        parts.append(message.model)
    if message.prompt_tokens is not None:
        parts.append(f"{message.prompt_tokens} prompt + {message.completion_tokens or 0} tokens")
    if message.tokens_per_s:
        parts.append(f"{message.tokens_per_s:.1f} tok/s")
    if message.ttft_ms is not None:
        parts.append(f"first token {message.ttft_ms:.0f} ms")
    return ", ".join(parts)


def session_markdown(session: Session, messages: list[Message]) -> str:
    lines = [f"# {session.title}", "", f"Session `{session.id}` · started {session.created_at}", ""]
    for message in messages:
        heading = "User" if message.role == "user" else message.role.capitalize()
        mark = STATUS_MARKS.get(message.status)
        if mark:
            heading += f" {mark}"
        lines += [f"## {heading}", "", message.content.rstrip(), ""]
        if message.role == "assistant" and (stats := message_stats(message)):
            lines += [f"*{stats}*", ""]
    return "\n".join(lines).rstrip() + "\n"
