"""OpenAI-style message lists ↔ Fireside sessions.

An OpenAI client sends the whole conversation every time; Fireside keeps it as a session.
The client's list is split into its system text, the earlier turns and the new prompt (the
trailing user/tool messages), then matched with the session's stored history:

* the client sent no earlier turns: the stored history is the conversation (an editor can
  send just the new message and name the session);
* the stored history is a prefix of the client's turns: the missing ones are added to the
  session (a new session gets the client's whole history);
* they differ (the client edited or dropped turns): a new session is started with the
  client's turns, so a stored conversation is never rewritten; its id is returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assistant.orchestrator import title_for
from assistant.store import Store

Turn = tuple[str, str]  # (role, text), role "user" or "assistant"


class MessagesError(ValueError):
    """The message list cannot be used (the message says why, naming the field)."""


@dataclass(frozen=True)
class Conversation:
    system: str | None
    turns: list[Turn]  # earlier user/assistant turns, consecutive roles merged
    prompt: str


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    raise MessagesError("messages[].content must be a string or a list of content parts")


def _tool_result(message: dict[str, Any], names: dict[str, str]) -> str:
    call_id = str(message.get("tool_call_id") or "")
    name = message.get("name") or names.get(call_id) or call_id or "tool"
    return f"Result of {name}:\n{text_of(message.get('content'))}"


def _assistant_text(message: dict[str, Any]) -> str:
    text = text_of(message.get("content"))
    calls = message.get("tool_calls") or []
    if calls and not text.strip():
        names = [
            f"{c.get('function', {}).get('name', '?')}"
            f"({json.dumps(c.get('function', {}).get('arguments', ''))[1:-1]})"
            for c in calls if isinstance(c, dict)
        ]
        text = "Calling " + ", ".join(names)
    return text


def parse_messages(messages: list[dict[str, Any]]) -> Conversation:
    """Split an OpenAI message list; MessagesError when it has no user message to answer."""
    if not messages:
        raise MessagesError("messages must hold at least one message")
    system: list[str] = []
    turns: list[Turn] = []
    names: dict[str, str] = {}  # tool call id -> function name
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise MessagesError(f"messages[{index}] must be an object")
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(text_of(message.get("content")))
            continue
        if role == "user":
            text = text_of(message.get("content"))
        elif role in ("tool", "function"):
            role, text = "user", _tool_result(message, names)
        elif role == "assistant":
            text = _assistant_text(message)
            for call in message.get("tool_calls") or []:
                if isinstance(call, dict) and call.get("id"):
                    names[str(call["id"])] = str(call.get("function", {}).get("name", ""))
        else:
            raise MessagesError(f"messages[{index}].role {role!r} is not one of system, "
                                "user, assistant, tool")
        if not text.strip():
            continue
        if turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n\n" + text)
        else:
            turns.append((role, text))
    if not turns or turns[-1][0] != "user":
        raise MessagesError("the last message must be from the user (or a tool result)")
    prompt = turns.pop()[1]
    return Conversation("\n\n".join(s for s in system if s.strip()) or None, turns, prompt)


def _stored_turns(store: Store, session_id: str) -> list[Turn]:
    turns: list[Turn] = []
    for m in store.messages(session_id):
        if m.role not in ("user", "assistant") or not m.content:
            continue
        if turns and turns[-1][0] == m.role:
            turns[-1] = (m.role, turns[-1][1] + "\n\n" + m.content)
        else:
            turns.append((m.role, m.content))
    return turns


def _same(a: Turn, b: Turn) -> bool:
    return a[0] == b[0] and a[1].strip() == b[1].strip()


def _continues(store: Store, session_id: str, turns: list[Turn]) -> bool:
    """True when the client's turns extend the stored ones (so the session is reused)."""
    if not turns:
        return True
    stored = _stored_turns(store, session_id)
    return len(stored) <= len(turns) and all(
        _same(s, c) for s, c in zip(stored, turns, strict=False)
    )


def planned_session(store: Store, session_id: str | None, conversation: Conversation) -> str | None:
    """Read-only: the session :func:`reconcile` will reuse, or None when it will make a new one
    (so the API can name the new id before the turn starts and create nothing until then).
    Raises SessionNotFoundError for an unknown id."""
    if session_id is None:
        return None
    session_id = store.resolve_session_id(session_id)
    return session_id if _continues(store, session_id, conversation.turns) else None


def reconcile(
    store: Store, session_id: str | None, conversation: Conversation, new_id: str | None = None
) -> str:
    """The session to run the new prompt in, its history brought in line with the client's
    (see the module docstring); a session it creates gets ``new_id`` when given. Raises
    SessionNotFoundError for an unknown id."""
    turns = conversation.turns
    if session_id is not None:
        session_id = store.resolve_session_id(session_id)
        if not turns:
            return session_id
        if _continues(store, session_id, turns):
            _add(store, session_id, turns[len(_stored_turns(store, session_id)):])
            return session_id
        title = store.get_session(session_id).title
        session_id = store.create_session(title_for(f"{title} (edited)"), session_id=new_id).id
    else:
        first = next((t for r, t in turns if r == "user"), conversation.prompt)
        session_id = store.create_session(title_for(first), session_id=new_id).id
    _add(store, session_id, turns)
    return session_id


def _add(store: Store, session_id: str, turns: list[Turn]) -> None:
    for role, text in turns:
        store.add_message(session_id, role, text)
