"""Claude (claude.ai) data export: ``conversations.json``, a list of conversations with
``uuid``, ``name``, times and ``chat_messages`` (``sender`` human/assistant, ``text`` or, when
that is empty, ``content`` blocks: text, tool_use, tool_result, thinking). The extracted text
of attachments is kept as the message's attachment text."""

from __future__ import annotations

from typing import Any

from assistant.importers.common import Parsed, add_message, compact_json, finish, iso, note
from assistant.store import ImportedMessage

SOURCE = "claude"
_ROLES = {"human": "user", "user": "user", "assistant": "assistant"}


def looks_like(data: Any) -> bool:
    first = data[:1] if isinstance(data, list) else []
    return bool(first) and isinstance(first[0], dict) and "chat_messages" in first[0]


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_result_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("title") or "")
    return ""


def _block_text(block: Any) -> str:
    if not isinstance(block, dict):
        return ""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text") or "")
    if kind == "thinking":
        summaries = [s.get("summary") for s in block.get("summaries") or [] if isinstance(s, dict)]
        return note("thinking", "; ".join(s for s in summaries if s) or block.get("thinking", ""))
    if kind == "tool_use":
        return note(f"tool {block.get('name') or '?'}", compact_json(block.get("input") or {}))
    if kind == "tool_result":
        label = "tool error" if block.get("is_error") else "tool result"
        return note(f"{label} {block.get('name') or ''}".strip(),
                    _result_text(block.get("content")))
    return note(str(kind or "block").replace("_", " "))


def _attachments(message: dict[str, Any]) -> tuple[str | None, list[str]]:
    texts, names = [], []
    for item in message.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("file_name") or "attachment")
        extracted = item.get("extracted_content")
        if extracted:
            texts.append(f"--- {name} ---\n{extracted}")
        names.append(name)
    names += [str(f.get("file_name")) for f in message.get("files") or []
              if isinstance(f, dict) and f.get("file_name") and f.get("file_name") not in names]
    return ("\n\n".join(texts) or None), names


def _message(message: dict[str, Any], fallback: str, skipped: Any) -> ImportedMessage | None:
    role = _ROLES.get(str(message.get("sender")))
    if role is None:
        skipped[f"message from {message.get('sender')!r}"] += 1
        return None
    text = str(message.get("text") or "").strip()
    if not text:
        blocks = message.get("content") or []
        text = "\n\n".join(t for t in (_block_text(b) for b in blocks) if t.strip()).strip()
    attachment_text, names = _attachments(message)
    if names:
        text = (text + "\n\n" + note("attached", ", ".join(names))).strip()
    if not text and not attachment_text:
        skipped["empty message"] += 1
        return None
    return ImportedMessage(
        role=role,
        content=text,
        created_at=iso(message.get("created_at")) or fallback,
        model=message.get("model") if role == "assistant" else None,
        attachment_text=attachment_text,
    )


def parse(data: Any, parsed: Parsed | None = None) -> Parsed:
    parsed = parsed or Parsed(SOURCE)
    for conversation in data if isinstance(data, list) else []:
        if not isinstance(conversation, dict) or not isinstance(
            conversation.get("chat_messages"), list
        ):
            parsed.skipped["not a conversation"] += 1
            continue
        created = iso(conversation.get("created_at"))
        time = created or "1970-01-01T00:00:00.000+00:00"
        messages: list[ImportedMessage] = []
        for raw in conversation["chat_messages"]:
            imported = _message(raw, time, parsed.skipped) if isinstance(raw, dict) else None
            if imported is not None:
                if imported.role == "assistant":
                    imported.model = imported.model or conversation.get("model")
                time = imported.created_at
                add_message(messages, imported)
        finish(
            parsed,
            source_id=conversation.get("uuid"),
            title=conversation.get("name"),
            created=created,
            updated=iso(conversation.get("updated_at")),
            messages=messages,
        )
    return parsed
