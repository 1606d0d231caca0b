"""simonw/llm's ``logs.db``: both generations (see :mod:`assistant.store.llm_logs`).

A thread of the newer message store and a legacy conversation with the same id are the
same chat (llm reuses the conversation id for the thread, and a thread holds the whole
chain), so the thread wins and the legacy copy is skipped. Model names and times are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.importers.common import Parsed, add_message, compact_json, finish, iso, note
from assistant.store import ImportedMessage, read_llm_logs

SOURCE = "llm"
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "assistant"}


def _legacy_messages(responses: list[dict[str, Any]]) -> list[ImportedMessage]:
    messages: list[ImportedMessage] = []
    system = None
    for r in responses:
        time = iso(r["datetime_utc"]) or "1970-01-01T00:00:00.000+00:00"
        if r["system"] and r["system"] != system:
            system = r["system"]
            add_message(messages, ImportedMessage("system", system, time))
        prompt = r["prompt"] or ""
        notes = [note("attachment", a["path"] or a["url"] or a["type"] or "")
                 for a in r["attachments"]]
        notes += [note(f"tool result {t['name']}", t["output"] or "") for t in r["tool_results"]]
        add_message(messages, ImportedMessage("user", "\n\n".join([prompt, *notes]).strip(), time))
        calls = [note(f"tool {c['name']}", c["arguments"] or "") for c in r["tool_calls"]]
        answer = "\n\n".join([r["response"] or "", *calls]).strip()
        add_message(messages, ImportedMessage(
            "assistant", answer, time, model=r["resolved_model"] or r["model"]))
    return messages


def _part_text(part: dict[str, Any]) -> str:
    kind = part.get("type")
    if kind == "text":
        return str(part.get("text") or "")
    if kind == "reasoning":
        return note("reasoning", "" if part.get("redacted") else part.get("text") or "")
    if kind == "tool_call":
        return note(f"tool {part.get('name') or '?'}", compact_json(part.get("arguments") or {}))
    if kind == "tool_result":
        label = "tool error" if part.get("exception") else "tool result"
        return note(f"{label} {part.get('name') or ''}".strip(),
                    part.get("exception") or part.get("output") or "")
    if kind == "attachment":
        attachment = part.get("attachment") or {}
        return note("attachment", attachment.get("type") or "") if isinstance(
            attachment, dict) else note("attachment")
    return note(str(kind or "part"))


def _thread_messages(thread: dict[str, Any]) -> list[ImportedMessage]:
    chain = thread["chain"]
    position = {m["hash"]: i for i, m in enumerate(chain)}
    # Each turn added the messages after its parent up to its tip; a message before a turn's
    # output (the prompt) takes that turn's time, an answer also its model.
    spans = sorted(
        (position.get(t["tip_message_hash"], -1), t) for t in thread["turns"]
        if t["tip_message_hash"] in position
    )
    messages: list[ImportedMessage] = []
    fallback = iso(thread["datetime_utc"]) or "1970-01-01T00:00:00.000+00:00"
    for i, message in enumerate(chain):
        turn = next((t for tip, t in spans if tip >= i), None)
        time = iso(turn["datetime_utc"]) if turn else None
        role = _ROLES.get(message["role"], "assistant")
        text = "\n\n".join(t for t in (_part_text(p) for p in message["parts"]) if t).strip()
        model = (turn["resolved_model"] or turn["model"]) if turn and role == "assistant" else None
        add_message(messages, ImportedMessage(role, text, time or fallback, model=model))
    return messages


def parse_file(path: Path) -> Parsed:
    logs = read_llm_logs(path)
    parsed = Parsed(SOURCE)
    thread_ids = set()
    for thread in logs.threads:
        thread_ids.add(thread["id"])
        messages = _thread_messages(thread)
        finish(parsed, source_id=thread["id"], title=thread["name"],
               created=messages[0].created_at if messages else None,
               updated=messages[-1].created_at if messages else None, messages=messages)
    for conversation_id, responses in logs.conversations.items():
        if conversation_id in thread_ids:
            parsed.skipped["legacy copy of a thread"] += 1
            continue
        messages = _legacy_messages(responses)
        finish(parsed, source_id=conversation_id,
               title=logs.conversation_names.get(conversation_id),
               created=messages[0].created_at if messages else None,
               updated=messages[-1].created_at if messages else None, messages=messages)
    return parsed
