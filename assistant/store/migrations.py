"""Numbered schema migrations. Append new ones; never edit an applied one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def _m001_initial(db: sqlite_utils.Database) -> None:
    db["sessions"].create(
        {
            "id": str,
            "title": str,
            "model": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["messages"].create(
        {
            "id": int,
            "session_id": str,
            "role": str,
            "content": str,
            "model": str,
            "status": str,
            "finish_reason": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "ttft_ms": float,
            "tokens_per_s": float,
            "total_ms": float,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "role", "content", "created_at"},
    )
    db["messages"].create_index(["session_id", "id"])
    db["sessions"].create_index(["updated_at"])


def _m002_message_search(db: sqlite_utils.Database) -> None:
    db["messages"].enable_fts(["content"], create_triggers=True, tokenize="porter")


def _m003_message_cost(db: sqlite_utils.Database) -> None:
    # Which provider answered ("local" or a [providers.NAME] name) and what it cost (USD,
    # NULL when the price is unknown or the model is local).
    db["messages"].add_column("provider", str)
    db["messages"].add_column("cost_usd", float)


def _m004_tools(db: sqlite_utils.Database) -> None:
    # One row per tool call in a turn (the agent loop's steps), kept with the assistant
    # message they led to; and a cache of tool results (web search, fetched pages) by key.
    db["tool_steps"].create(
        {
            "id": int,
            "session_id": str,
            "message_id": int,  # the assistant message of the turn; NULL until it is saved
            "step": int,
            "call_id": str,
            "name": str,
            "arguments": str,  # JSON
            "ok": int,
            "result": str,  # capped text the model saw, or the error
            "truncated": int,
            "duration_ms": float,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "name", "created_at"},
    )
    db["tool_steps"].create_index(["session_id", "id"])
    db["tool_cache"].create(
        {"key": str, "kind": str, "value": str, "created_at": float, "expires_at": float},
        pk="key",
    )
    db["tool_cache"].create_index(["expires_at"])


def _m005_message_sources(db: sqlite_utils.Database) -> None:
    # The code chunks (from the codebase index) put into the prompt of an answer, best first,
    # so a reopened chat still shows what each answer was given.
    db["message_sources"].create(
        {
            "id": int,
            "message_id": int,  # the assistant message
            "session_id": str,
            "rank": int,
            "path": str,
            "start_line": int,
            "end_line": int,
            "score": float,
            "symbol": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"message_id", "session_id", "path"},
    )
    db["message_sources"].create_index(["session_id", "message_id"])


def _m006_pins_and_turn_context(db: sqlite_utils.Database) -> None:
    # Files pinned to a chat (/add), in order; and what each answer's prompt held, part by
    # part with token counts (assistant.context_report), as JSON.
    db["session_pins"].create(
        {"id": int, "session_id": str, "position": int, "path": str, "start_line": int,
         "end_line": int},
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "path"},
    )
    db["session_pins"].create_index(["session_id", "position"])
    db["turn_context"].create(
        {"message_id": int, "session_id": str, "report": str, "created_at": str},
        pk="message_id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "report"},
    )
    db["turn_context"].create_index(["session_id", "message_id"])


def _m007_imported_sessions(db: sqlite_utils.Database) -> None:
    # Chats imported from elsewhere (ChatGPT, Claude, llm, a Fireside export): where they came
    # from and their id there, unique per source so importing the same file twice adds
    # nothing; and the extracted text of a message's attachments, searchable with its text.
    db["sessions"].add_column("source", str)
    db["sessions"].add_column("source_id", str)
    db.execute(
        "CREATE UNIQUE INDEX idx_sessions_source ON sessions (source, source_id)"
        " WHERE source_id IS NOT NULL"
    )
    db["messages"].add_column("attachment_text", str)
    db["messages"].disable_fts()
    db["messages"].enable_fts(
        ["content", "attachment_text"], create_triggers=True, tokenize="porter"
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_initial,
    _m002_message_search,
    _m003_message_cost,
    _m004_tools,
    _m005_message_sources,
    _m006_pins_and_turn_context,
    _m007_imported_sessions,
]
