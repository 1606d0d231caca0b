"""Imported chats, full-text search over every message, and the full-fidelity export.

* :func:`import_sessions` writes parsed chats (from :mod:`assistant.importers`) in ONE
  transaction: a failure leaves nothing half-imported. Each chat carries a stable
  ``(source, source_id)``; one already in the store is skipped, so importing twice adds nothing.
* :func:`search_sessions` ranks messages with FTS5 (bm25) and returns the best hit per chat.
* :func:`export_records` yields one self-contained dict per chat (every column of its
  session, messages, tool steps and code sources; internal ids replaced by message
  positions) which :func:`import_sessions` reads back unchanged.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.store.db import Store

EXPORT_VERSION = 1
# A search ranks at most this many matching messages (the newest); rarer words: all of them.
RANK_WINDOW = 20_000
# Columns that name rows of this database only; an export leaves them out.
_INTERNAL = {"id", "session_id", "message_id"}


@dataclass
class ImportedMessage:
    role: str  # "user", "assistant" or "system"
    content: str
    created_at: str  # ISO 8601, UTC
    model: str | None = None
    attachment_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other message columns (exports)


@dataclass
class ImportedSession:
    source: str | None  # "chatgpt", "claude", "llm"; a Fireside export keeps the original's
    source_id: str | None  # the chat's id there: what makes a second import add nothing
    title: str
    created_at: str
    updated_at: str
    messages: list[ImportedMessage]
    model: str | None = None
    id: str | None = None  # keep this session id (Fireside exports); None: a new one
    extra: dict[str, Any] = field(default_factory=dict)  # other session columns (exports)
    # Fireside exports only: rows naming their answer by "message_index".
    tool_steps: list[dict[str, Any]] = field(default_factory=list)
    message_sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportCounts:
    sessions: int
    messages: int
    already: int  # chats skipped because an earlier import (or this store) has them


@dataclass(frozen=True)
class SearchHit:
    session_id: str
    title: str
    updated_at: str
    source: str | None
    message_id: int
    role: str
    created_at: str
    snippet: str
    score: float  # bm25: lower is better


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _insert(db: sqlite3.Connection, table: str, columns: list[str], row: dict[str, Any]) -> int:
    names = [c for c in columns if c in row]
    cursor = db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[c] for c in names],
    )
    return int(cursor.lastrowid or 0)


def _known(db: sqlite3.Connection, session: ImportedSession) -> bool:
    if session.id is not None and db.execute(
        "SELECT 1 FROM sessions WHERE id = ?", (session.id,)
    ).fetchone():
        return True
    if session.source_id is None:
        return False
    return bool(db.execute(
        "SELECT 1 FROM sessions WHERE source IS ? AND source_id = ?",
        (session.source, session.source_id),
    ).fetchone())


def _write_session(db: sqlite3.Connection, cols: dict[str, list[str]], s: ImportedSession) -> int:
    session_id = s.id or uuid.uuid4().hex[:12]
    row = {**s.extra, "id": session_id, "title": s.title, "model": s.model,
           "created_at": s.created_at, "updated_at": s.updated_at,
           "source": s.source, "source_id": s.source_id}
    _insert(db, "sessions", cols["sessions"], row)
    ids: list[int] = []
    for m in s.messages:
        message = {**m.extra, "session_id": session_id, "role": m.role, "content": m.content,
                   "created_at": m.created_at, "model": m.model,
                   "attachment_text": m.attachment_text}
        message.setdefault("status", "complete")
        ids.append(_insert(db, "messages", cols["messages"], message))
    for table, rows in (("tool_steps", s.tool_steps), ("message_sources", s.message_sources)):
        for item in rows:
            item = dict(item)
            index = item.pop("message_index", None)
            item["session_id"] = session_id
            item["message_id"] = ids[index] if isinstance(index, int) and index < len(ids) else None
            _insert(db, table, cols[table], item)
    return len(ids)


def import_sessions(store: Store, sessions: Sequence[ImportedSession]) -> ImportCounts:
    """Add ``sessions`` that the store does not have yet, all in one transaction."""
    added = messages = already = 0
    with store._tx(write=True) as db:
        cols = {t: _columns(db, t) for t in
                ("sessions", "messages", "tool_steps", "message_sources")}
        seen: set[tuple[str | None, str]] = set()
        for session in sessions:
            key = (session.source, session.source_id or session.id or "")
            if (key[1] and key in seen) or _known(db, session):
                already += 1
                continue
            seen.add(key)
            messages += _write_session(db, cols, session)
            added += 1
    return ImportCounts(added, messages, already)


# -- search ----------------------------------------------------------------------------------


def fts_query(text: str) -> str:
    """User words as an FTS5 query: every word must occur (``word*`` matches a prefix)."""
    terms = []
    for word in text.split():
        prefix = word.endswith("*") and len(word) > 1
        word = word.rstrip("*")
        if word:
            terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms)


def search_sessions(
    store: Store, query: str, limit: int = 20, marks: tuple[str, str] = ("**", "**")
) -> list[SearchHit]:
    """Chats whose messages match ``query``, best first: each chat's best message, with a
    snippet of it (matched words between ``marks``)."""
    match = fts_query(query)
    if not match or limit <= 0:
        return []
    with store._tx() as db:
        ranked = db.execute(
            # Rank in the FTS table alone (among the newest RANK_WINDOW matches: bm25 scores
            # every candidate, and a word found in nearly every message would take ~0.4 s
            # over 100k), then look up the few rows kept.
            "SELECT f.id, f.score, m.session_id FROM (SELECT id, score FROM (SELECT rowid AS"
            " id, rank AS score FROM messages_fts WHERE messages_fts MATCH ?"
            " ORDER BY rowid DESC LIMIT ?) ORDER BY score LIMIT ?) f"
            " JOIN messages m ON m.id = f.id ORDER BY f.score",
            (match, RANK_WINDOW, max(200, limit * 10)),
        ).fetchall()
        best: dict[str, tuple[int, float]] = {}
        for rowid, rank, session_id in ranked:
            if session_id not in best:
                best[session_id] = (rowid, rank)
            if len(best) >= limit:
                break
        if not best:
            return []
        rowids = [rowid for rowid, _ in best.values()]
        marks_sql = ", ".join("?" * len(rowids))
        snippets = dict(db.execute(
            "SELECT rowid, snippet(messages_fts, -1, ?, ?, '…', 16) FROM messages_fts"
            f" WHERE messages_fts MATCH ? AND rowid IN ({marks_sql})",
            (marks[0], marks[1], match, *rowids),
        ).fetchall())
        rows = db.execute(
            "SELECT m.id, m.session_id, s.title, s.updated_at, s.source, m.role, m.created_at"
            f" FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id IN ({marks_sql})",
            rowids,
        ).fetchall()
    by_id = {row[0]: row for row in rows}
    hits = []
    for rowid, rank in best.values():
        mid, sid, title, updated, source, role, created = by_id[rowid]
        hits.append(SearchHit(sid, title, updated, source, mid, role, created,
                              " ".join((snippets.get(rowid) or "").split()), float(rank)))
    return hits


# -- export ----------------------------------------------------------------------------------


def _rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _children(rows: list[dict[str, Any]], index_of: dict[int, int]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        message_id = row.get("message_id")
        item = {k: v for k, v in row.items() if k not in _INTERNAL}
        item["message_index"] = index_of.get(message_id) if message_id is not None else None
        out.append(item)
    return out


def export_records(store: Store, session_ids: Sequence[str] | None = None) -> Iterator[dict]:
    """One dict per chat (oldest first), holding everything the store keeps about it."""
    with store._tx() as db:
        ids = list(session_ids) if session_ids is not None else [
            row[0] for row in db.execute("SELECT id FROM sessions ORDER BY created_at, rowid")
        ]
    for session_id in ids:
        with store._tx() as db:
            session = _rows(db, "SELECT * FROM sessions WHERE id = ?", (session_id,))
            messages = _rows(db, "SELECT * FROM messages WHERE session_id = ? ORDER BY id",
                             (session_id,))
            steps = _rows(db, "SELECT * FROM tool_steps WHERE session_id = ? ORDER BY id",
                          (session_id,))
            sources = _rows(db, "SELECT * FROM message_sources WHERE session_id = ?"
                            " ORDER BY message_id, rank, id", (session_id,))
        if not session:
            continue
        index_of = {m["id"]: i for i, m in enumerate(messages)}
        yield {
            "fireside_export": EXPORT_VERSION,
            "session": session[0],
            "messages": [{k: v for k, v in m.items() if k not in _INTERNAL} for m in messages],
            "tool_steps": _children(steps, index_of),
            "message_sources": _children(sources, index_of),
        }
