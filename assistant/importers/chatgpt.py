"""ChatGPT data export: ``conversations.json`` (or the split ``conversations-000.json`` …).

Each conversation's ``mapping`` is a tree of nodes (edits and regenerations are branches);
the chat as last shown is the branch from ``current_node`` up through ``parent``, reversed.
Hidden system messages and empty nodes are skipped; content that is not text (images, code
output, browsing, thoughts) becomes a short bracketed note; ``model_slug`` is kept per answer.
"""

from __future__ import annotations

from typing import Any

from assistant.importers.common import Parsed, add_message, compact_json, finish, iso, note
from assistant.store import ImportedMessage

SOURCE = "chatgpt"


def looks_like(data: Any) -> bool:
    first = _conversations(data)[:1]
    return bool(first) and isinstance(first[0], dict) and "mapping" in first[0]


def _conversations(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        return data["conversations"]
    return data if isinstance(data, list) else []


def _active_branch(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    mapping = conversation.get("mapping") or {}
    node_id = conversation.get("current_node")
    if node_id not in mapping:  # no current node recorded: follow the last child down
        roots = [k for k, n in mapping.items() if not (n or {}).get("parent")]
        node_id = roots[0] if roots else None
        while node_id in mapping and (mapping[node_id] or {}).get("children"):
            node_id = mapping[node_id]["children"][-1]
    path, seen = [], set()
    while node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id] or {}
        path.append(node)
        node_id = node.get("parent")
    path.reverse()
    return path


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = str(part.get("content_type") or "attachment")
    if kind == "image_asset_pointer":
        size = f"{part.get('width')}×{part.get('height')}" if part.get("width") else ""
        prompt = ((part.get("metadata") or {}).get("dalle") or {}).get("prompt") or ""
        return note("image", " ".join(p for p in (size, prompt) if p))
    if kind == "audio_transcription":
        return str(part.get("text") or "")
    if "audio" in kind or "video" in kind:
        return note(kind.replace("_asset_pointer", "").replace("_", " "))
    return note(kind.replace("_", " "), str(part.get("text") or ""))


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    kind = content.get("content_type")
    author = message.get("author") or {}
    if kind == "text" and author.get("role") == "tool":  # a tool's raw output (browser, memory…)
        return note(f"{author.get('name') or 'tool'} output", " ".join(
            p for p in content.get("parts") or [] if isinstance(p, str)))
    if kind == "text" and message.get("recipient") not in ("all", None):  # a call to a tool
        return note(f"call {message['recipient']}", " ".join(
            p for p in content.get("parts") or [] if isinstance(p, str)))
    if kind in ("text", "multimodal_text"):
        return "\n\n".join(t for t in (_part_text(p) for p in content.get("parts") or []) if t)
    if kind == "code":
        recipient = message.get("recipient")
        if recipient == "python":  # code run by the code interpreter: kept as code
            return f"```python\n{content.get('text') or ''}\n```"
        return note(f"call {recipient or 'tool'}", content.get("text") or "")
    if kind == "execution_output":
        return note("code output", content.get("text") or "")
    if kind == "thoughts":
        thoughts = content.get("thoughts") or []
        summaries = [t.get("summary") for t in thoughts if isinstance(t, dict)] if isinstance(
            thoughts, list) else [str(thoughts)]
        return note("thoughts", "; ".join(s for s in summaries if s))
    if kind == "reasoning_recap":
        return note("reasoning", content.get("content") or "")
    if kind in ("tether_quote", "sonic_webpage"):
        return note("web", content.get("title") or content.get("url") or "")
    if kind == "tether_browsing_display":
        return note("browsing", content.get("summary") or "")
    if kind == "user_editable_context":
        return "\n\n".join(str(content.get(k)) for k in ("user_profile", "user_instructions")
                           if content.get(k))
    if kind is None:
        return ""
    return note(str(kind).replace("_", " "), content.get("text") or compact_json(content)[:80])


def _message(message: dict[str, Any], fallback_time: str, skipped: Any) -> ImportedMessage | None:
    author = (message.get("author") or {}).get("role")
    metadata = message.get("metadata") or {}
    if author == "system" and not metadata.get("is_user_system_message"):
        skipped["hidden system message"] += 1
        return None
    if metadata.get("is_visually_hidden_from_conversation"):
        skipped["hidden message"] += 1
        return None
    text = _content_text(message).strip()
    if not text:
        skipped["empty message"] += 1
        return None
    role = {"user": "user", "system": "system"}.get(author or "", "assistant")
    attachments = [a.get("name") for a in metadata.get("attachments") or [] if isinstance(a, dict)]
    if attachments and role == "user":
        text += "\n\n" + note("attached", ", ".join(str(a) for a in attachments if a))
    return ImportedMessage(
        role=role,
        content=text,
        created_at=iso(message.get("create_time")) or fallback_time,
        model=metadata.get("model_slug") if role == "assistant" else None,
    )


def parse(data: Any, parsed: Parsed | None = None) -> Parsed:
    """The chats of one ``conversations.json`` (call again with the same ``parsed`` for each
    file of a split export)."""
    parsed = parsed or Parsed(SOURCE)
    for conversation in _conversations(data):
        if not isinstance(conversation, dict) or not isinstance(conversation.get("mapping"), dict):
            parsed.skipped["not a conversation"] += 1
            continue
        created = iso(conversation.get("create_time"))
        time = created or "1970-01-01T00:00:00.000+00:00"
        messages: list[ImportedMessage] = []
        for node in _active_branch(conversation):
            message = node.get("message")
            if not isinstance(message, dict):
                continue  # the structural root node
            imported = _message(message, time, parsed.skipped)
            if imported is not None:
                time = imported.created_at
                add_message(messages, imported)
        finish(
            parsed,
            source_id=conversation.get("conversation_id") or conversation.get("id"),
            title=conversation.get("title"),
            created=created,
            updated=iso(conversation.get("update_time")),
            messages=messages,
        )
    return parsed
