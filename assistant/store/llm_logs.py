"""Read simonw/llm's ``logs.db`` (opened read-only), both schema generations.

* Legacy (llm ≤ 0.2x, still present in newer databases): ``conversations`` and
  ``responses``, one row per prompt/response pair, with attachments and tool calls in side
  tables.
* The message store (llm 0.36+): ``threads`` point at the tip of a chain of ``messages``
  (content-addressed, linked by ``parent_hash``) made of ``parts``; ``turns`` record each
  model call (model, time) and the range of the chain it added.

Only raw rows come out of here; :mod:`assistant.importers.llm` turns them into chats.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ImportFormatError


@dataclass
class LlmLogs:
    # Legacy: conversation id (or a lone response's id) → its responses, oldest first.
    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversation_names: dict[str, str | None] = field(default_factory=dict)
    # Message store: one dict per thread with "id", "name", "datetime_utc", "chain" (the
    # messages root first: hash, role, parts) and "turns" (parent/tip hash, model, time).
    threads: list[dict[str, Any]] = field(default_factory=list)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _dicts(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _by_response(db: sqlite3.Connection, sql: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in _dicts(db, sql):
        found.setdefault(row["response_id"], []).append(row)
    return found


def _read_legacy(db: sqlite3.Connection, tables: set[str], logs: LlmLogs) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(responses)")}
    resolved = "resolved_model" if "resolved_model" in columns else "NULL"
    responses = _dicts(
        db,
        f"SELECT id, model, {resolved} AS resolved_model, prompt, system, response,"
        " conversation_id, datetime_utc FROM responses ORDER BY datetime_utc, rowid",
    )
    attachments: dict[str, list[dict]] = {}
    if {"attachments", "prompt_attachments"} <= tables:
        attachments = _by_response(
            db,
            'SELECT pa.response_id, a.type, a.path, a.url FROM prompt_attachments pa'
            ' JOIN attachments a ON a.id = pa.attachment_id ORDER BY pa."order"',
        )
    calls = results = {}
    if {"tool_calls", "tool_results"} <= tables:
        calls = _by_response(db, "SELECT response_id, name, arguments FROM tool_calls ORDER BY id")
        results = _by_response(db, "SELECT response_id, name, output FROM tool_results"
                                   " ORDER BY id")
    if "conversations" in tables:
        logs.conversation_names.update(db.execute("SELECT id, name FROM conversations"))
    for response in responses:
        rid = response["id"]
        response["attachments"] = attachments.get(rid, [])
        response["tool_calls"] = calls.get(rid, [])
        response["tool_results"] = results.get(rid, [])
        logs.conversations.setdefault(response["conversation_id"] or rid, []).append(response)


def _part_text(part: dict[str, Any], fragments: dict[int, str]) -> dict[str, Any]:
    payload = json.loads(part["payload"]) if part["payload"] else {}
    pieces = payload.pop("text_ref", None)
    if pieces is not None:
        payload["text"] = "".join(
            p["literal"] if "literal" in p else fragments.get(p.get("fragment"), "")
            for p in pieces
        )
    if part["text"] is not None:
        payload["text"] = part["text"]
    payload["type"] = part["type"]
    if part["tool_name"] and "name" not in payload:
        payload["name"] = part["tool_name"]
    return payload


def _read_threads(db: sqlite3.Connection, tables: set[str], logs: LlmLogs) -> None:
    messages = {row["hash"]: row for row in _dicts(
        db, "SELECT hash, parent_hash, role FROM messages")}
    fragments: dict[int, str] = {}
    if "fragments" in tables:
        fragments = dict(db.execute(
            "SELECT id, content FROM fragments WHERE id IN (SELECT fragment_id FROM"
            " part_fragments)"))
    for part in _dicts(db, "SELECT message_hash, position, type, tool_name, text, payload"
                           " FROM parts ORDER BY message_hash, position"):
        if part["message_hash"] in messages:
            messages[part["message_hash"]].setdefault("parts", []).append(
                _part_text(part, fragments))
    turns: dict[str, list[dict]] = {}
    for turn in _dicts(db, "SELECT id, thread_id, parent_message_hash, tip_message_hash, model,"
                           " resolved_model, datetime_utc FROM turns ORDER BY datetime_utc"):
        turns.setdefault(turn["thread_id"], []).append(turn)
    for thread in _dicts(db, "SELECT id, name, tip_message_hash, datetime_utc FROM threads"
                             " ORDER BY datetime_utc, rowid"):
        chain: list[dict] = []
        current, seen = thread["tip_message_hash"], set()
        while current is not None and current in messages and current not in seen:
            seen.add(current)
            chain.append(messages[current])
            current = messages[current]["parent_hash"]
        chain.reverse()
        thread["chain"] = [{"hash": m["hash"], "role": m["role"], "parts": m.get("parts", [])}
                           for m in chain]
        thread["turns"] = turns.get(thread["id"], [])
        logs.threads.append(thread)


def read_llm_logs(path: Path) -> LlmLogs:
    """Every conversation in the llm database at ``path``; ImportFormatError when it is not
    one (or is damaged)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportFormatError(f"cannot open {path}: {exc}") from None
    try:
        tables = _tables(db)
        if "responses" not in tables and "threads" not in tables:
            raise ImportFormatError(
                f"{path} is an SQLite database but not an llm logs.db (no responses or threads"
                " table)")
        logs = LlmLogs()
        if "responses" in tables:
            _read_legacy(db, tables, logs)
        if {"threads", "turns", "messages", "parts"} <= tables:
            _read_threads(db, tables, logs)
        return logs
    except sqlite3.Error as exc:
        raise ImportFormatError(f"{path} cannot be read as an llm logs.db: {exc}") from None
    finally:
        db.close()
