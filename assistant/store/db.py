"""The session database: SQLite through sqlite-utils, WAL mode, busy timeout, migrations.

One :class:`Store` per process; it may be used from several threads (a lock serialises
access). Two processes may write at once: WAL plus a busy timeout makes the second wait
instead of failing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import SessionNotFoundError, StoreError
from assistant.events import Source
from assistant.store.migrations import MIGRATIONS
from assistant.store.turn_lock import TurnLock, remove_lock

BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Session:
    id: str
    title: str
    model: str | None
    created_at: str
    updated_at: str
    message_count: int = 0
    source: str | None = None  # where an imported chat came from ("chatgpt", …); None: here


@dataclass(frozen=True)
class Message:
    id: int
    session_id: str
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_ms: float | None
    tokens_per_s: float | None
    total_ms: float | None
    created_at: str
    provider: str | None = None  # "local" or a hosted [providers.NAME]; None before v3
    cost_usd: float | None = None  # hosted answers with a known price
    attachment_text: str | None = None  # imported: the extracted text of its attachments


@dataclass(frozen=True)
class ToolStep:
    """One tool call of a turn and its result (``message_id``: the answer it led to)."""

    id: int
    session_id: str
    message_id: int | None
    step: int
    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    result: str
    truncated: bool
    duration_ms: float
    created_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the session database {path} stayed locked by another process for "
            f"{BUSY_TIMEOUT_MS // 1000} s; try again"
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"the session database {path} is read-only (its folder cannot be written): "
            "sessions can be listed and shown, not saved"
        )
    if "not a database" in text or "malformed" in text:
        return StoreError(f"the session database {path} is damaged ({text}); move it aside")
    return StoreError(f"session database error in {path}: {text}")


def _read_only_folder(path: Path) -> bool:
    """True when the database exists in a folder this process cannot write (a read-only
    mount, a locked-down data folder): then it is opened for reading only."""
    import os

    return path.exists() and not os.access(path.parent, os.W_OK | os.X_OK)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Read-only access to the database: ``mode=ro`` (works when the WAL files exist), else
    ``immutable=1`` (nothing else can be writing to a read-only folder)."""
    last: sqlite3.Error | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        conn = None
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True,
                                   check_same_thread=False)
            conn.execute("SELECT COUNT(*) FROM sessions").fetchone()
            return conn
        except sqlite3.Error as exc:
            last = exc
            if conn is not None:
                conn.close()
    raise _translate(last, path) if last is not None else StoreError(str(path))


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. While another connection writes in rollback-journal mode (e.g. another
    process creating the same new database), SQLite answers SQLITE_BUSY at once without
    calling the busy handler, so wait here, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


class Store:
    """Sessions and messages. Every method is one short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.read_only = False
        if _read_only_folder(path):
            self.conn = _open_read_only(path)
            self.read_only = True
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self.conn = conn
            self._migrate()
        except sqlite3.Error as exc:
            raise _translate(exc, path) from None
        except OSError as exc:
            raise StoreError(f"cannot open the session database {path}: {exc.strerror}") from None

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        # A write opens its transaction explicitly (and takes the write lock up front), so
        # each method is one transaction however many statements it runs.
        with self._lock:
            try:
                with self.conn:
                    if write:
                        self.conn.execute("BEGIN IMMEDIATE")
                    yield self.conn
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    def _migrate(self) -> None:
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS _migrations "
                    "(version INTEGER PRIMARY KEY, applied_at TEXT)"
                )
                done = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
                pending = [
                    (number, migration)
                    for number, migration in enumerate(MIGRATIONS, start=1)
                    if number not in done
                ]
                if pending:
                    # sqlite-utils (and what it imports) is only needed to change the schema.
                    import sqlite_utils

                    db = sqlite_utils.Database(conn)
                for number, migration in pending:
                    migration(db)
                    conn.execute(
                        "INSERT INTO _migrations (version, applied_at) VALUES (?, ?)",
                        (number, _now()),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        with self._tx() as db:
            row = db.execute("SELECT MAX(version) FROM _migrations").fetchone()
        return int(row[0] or 0)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- sessions -------------------------------------------------------------------------

    def create_session(
        self, title: str = "New chat", model: str | None = None, session_id: str | None = None
    ) -> Session:
        """A new session; ``session_id`` (from :func:`new_session_id`) when the id had to be
        known before the session is created (the API answers with it while queued)."""
        now = _now()
        session = Session(session_id or new_session_id(), title, model, now, now)
        with self._tx(write=True) as db:
            db.execute(
                "INSERT INTO sessions (id, title, model, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.id, session.title, session.model, now, now),
            )
        return session

    def resolve_session_id(self, id_or_prefix: str) -> str:
        """The full id of the one session whose id starts with ``id_or_prefix``."""
        prefix = id_or_prefix.strip()
        if not prefix:
            raise SessionNotFoundError("no session id given")
        with self._tx() as db:
            rows = db.execute(
                "SELECT id FROM sessions WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 2",
                (prefix, prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                 + "%"),
            ).fetchall()
        ids = {r[0] for r in rows}
        if prefix in ids:
            return prefix
        if len(ids) == 1:
            return ids.pop()
        if not ids:
            raise SessionNotFoundError(
                f"no session {prefix!r}; `fireside sessions list` shows the ids"
            )
        raise SessionNotFoundError(f"session id {prefix!r} is ambiguous; give more characters")

    def get_session(self, session_id: str) -> Session:
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            row = db.execute(
                "SELECT s.id, s.title, s.model, s.created_at, s.updated_at, "
                "(SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id), s.source "
                "FROM sessions s WHERE s.id = ?",
                (full,),
            ).fetchone()
        return Session(*row)

    def list_sessions(self, limit: int | None = None) -> list[Session]:
        sql = (
            "SELECT s.id, s.title, s.model, s.created_at, s.updated_at, "
            "(SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id), s.source "
            "FROM sessions s ORDER BY s.updated_at DESC, s.rowid DESC"
        )
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._tx() as db:
            return [Session(*row) for row in db.execute(sql, params).fetchall()]

    def rename_session(self, session_id: str, title: str) -> Session:
        full = self.resolve_session_id(session_id)
        with self._tx(write=True) as db:
            title = title.strip() or "Untitled"
            db.execute(
                "UPDATE sessions SET title = ?, updated_at = ? WHERE id = ?",
                (title, _now(), full),
            )
        return self.get_session(full)

    def delete_session(self, session_id: str) -> str:
        full = self.resolve_session_id(session_id)
        with self._tx(write=True) as db:
            db.execute("DELETE FROM tool_steps WHERE session_id = ?", (full,))
            db.execute("DELETE FROM message_sources WHERE session_id = ?", (full,))
            db.execute("DELETE FROM session_pins WHERE session_id = ?", (full,))
            db.execute("DELETE FROM turn_context WHERE session_id = ?", (full,))
            db.execute("DELETE FROM messages WHERE session_id = ?", (full,))
            db.execute("DELETE FROM sessions WHERE id = ?", (full,))
        remove_lock(self.path, full)
        return full

    def turn_lock(self, session_id: str) -> TurnLock:
        """Hold the session for one turn (across processes); SessionBusyError when another
        turn holds it. See :mod:`assistant.store.turn_lock`."""
        return TurnLock(self.path, session_id)

    # -- messages -------------------------------------------------------------------------

    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        model: str | None = None,
        status: str = "complete",
        finish_reason: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        ttft_ms: float | None = None,
        tokens_per_s: float | None = None,
        total_ms: float | None = None,
        provider: str | None = None,
        cost_usd: float | None = None,
    ) -> int:
        now = _now()
        with self._tx(write=True) as db:
            cursor = db.execute(
                "INSERT INTO messages (session_id, role, content, model, status, finish_reason,"
                " prompt_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,"
                " provider, cost_usd)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id, role, content, model, status, finish_reason, prompt_tokens,
                    completion_tokens, ttft_ms, tokens_per_s, total_ms, now, provider, cost_usd,
                ),
            )
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
            return int(cursor.lastrowid or 0)

    def messages(self, session_id: str) -> list[Message]:
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, session_id, role, content, model, status, finish_reason,"
                " prompt_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,"
                " provider, cost_usd, attachment_text"
                " FROM messages WHERE session_id = ? ORDER BY id",
                (full,),
            ).fetchall()
        return [Message(*row) for row in rows]

    def search_messages(self, query: str, limit: int = 20) -> list[Message]:
        """Full-text search over message text (FTS5)."""
        quoted = " ".join('"' + term.replace('"', '""') + '"' for term in query.split())
        if not quoted:
            return []
        with self._tx() as db:
            rows = db.execute(
                "SELECT m.id, m.session_id, m.role, m.content, m.model, m.status,"
                " m.finish_reason, m.prompt_tokens, m.completion_tokens, m.ttft_ms,"
                " m.tokens_per_s, m.total_ms, m.created_at, m.provider, m.cost_usd,"
                " m.attachment_text"
                " FROM messages_fts f JOIN messages m ON m.rowid = f.rowid"
                " WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
                (quoted, limit),
            ).fetchall()
        return [Message(*row) for row in rows]

    # -- code context of answers ----------------------------------------------------------

    def add_message_sources(
        self, session_id: str, message_id: int, sources: Sequence[Source]
    ) -> None:
        """Record the code chunks put into the prompt of answer ``message_id``, best first."""
        if not sources:
            return
        rows = [
            (message_id, session_id, rank, s.path, s.start_line, s.end_line, s.score, s.symbol)
            for rank, s in enumerate(sources)
        ]
        with self._tx(write=True) as db:
            db.executemany(
                "INSERT INTO message_sources (message_id, session_id, rank, path, start_line,"
                " end_line, score, symbol) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def message_sources(self, session_id: str) -> dict[int, list[Source]]:
        """The code chunks each answer of a chat was given: message id → sources, best first."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT message_id, path, start_line, end_line, score, symbol"
                " FROM message_sources WHERE session_id = ? ORDER BY message_id, rank",
                (full,),
            ).fetchall()
        found: dict[int, list[Source]] = {}
        for message_id, path, start, end, score, symbol in rows:
            found.setdefault(int(message_id), []).append(
                Source(path, int(start), int(end), float(score or 0.0), symbol)
            )
        return found

    # -- pins and what each turn's prompt held --------------------------------------------

    def set_pins(
        self, session_id: str, pins: Sequence[tuple[str, int | None, int | None]]
    ) -> None:
        """Replace a chat's pinned files: (path, start_line, end_line) in order."""
        full = self.resolve_session_id(session_id)
        with self._tx(write=True) as db:
            db.execute("DELETE FROM session_pins WHERE session_id = ?", (full,))
            db.executemany(
                "INSERT INTO session_pins (session_id, position, path, start_line, end_line)"
                " VALUES (?, ?, ?, ?, ?)",
                [(full, n, path, start, end) for n, (path, start, end) in enumerate(pins)],
            )

    def pins(self, session_id: str) -> list[tuple[str, int | None, int | None]]:
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT path, start_line, end_line FROM session_pins WHERE session_id = ?"
                " ORDER BY position",
                (full,),
            ).fetchall()
        return [(str(p), s, e) for p, s, e in rows]

    def add_turn_context(self, session_id: str, message_id: int, report: str) -> None:
        """Keep what answer ``message_id``'s prompt held (a JSON report)."""
        with self._tx(write=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO turn_context (message_id, session_id, report,"
                " created_at) VALUES (?, ?, ?, ?)",
                (message_id, session_id, report, _now()),
            )

    def turn_context(self, session_id: str) -> tuple[int, str] | None:
        """(message id, JSON report) of the chat's latest answer that has one."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            row = db.execute(
                "SELECT message_id, report FROM turn_context WHERE session_id = ?"
                " ORDER BY message_id DESC LIMIT 1",
                (full,),
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    # -- tool steps (the agent loop's calls and results) ----------------------------------

    def add_tool_step(
        self,
        session_id: str,
        *,
        step: int,
        call_id: str,
        name: str,
        arguments: dict[str, Any],
        ok: bool,
        result: str,
        truncated: bool = False,
        duration_ms: float = 0.0,
        message_id: int | None = None,
    ) -> int:
        """Record one tool call of a turn; linked to its answer later by
        :meth:`link_tool_steps` (the answer is saved when the turn ends)."""
        with self._tx(write=True) as db:
            cursor = db.execute(
                "INSERT INTO tool_steps (session_id, message_id, step, call_id, name,"
                " arguments, ok, result, truncated, duration_ms, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, message_id, step, call_id, name,
                 json.dumps(arguments, ensure_ascii=False), int(ok), result, int(truncated),
                 duration_ms, _now()),
            )
            return int(cursor.lastrowid or 0)

    def link_tool_steps(self, step_ids: Sequence[int], message_id: int) -> None:
        """Attach the steps ``step_ids`` to the answer they led to."""
        if not step_ids:
            return
        with self._tx(write=True) as db:
            db.executemany(
                "UPDATE tool_steps SET message_id = ? WHERE id = ?",
                [(message_id, step_id) for step_id in step_ids],
            )

    def tool_steps(self, session_id: str) -> list[ToolStep]:
        """A chat's tool steps in the order they ran."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, session_id, message_id, step, call_id, name, arguments, ok, result,"
                " truncated, duration_ms, created_at FROM tool_steps WHERE session_id = ?"
                " ORDER BY id",
                (full,),
            ).fetchall()
        steps = []
        for row in rows:
            try:
                arguments = json.loads(row[6] or "{}")
            except ValueError:
                arguments = {}
            steps.append(ToolStep(
                id=row[0], session_id=row[1], message_id=row[2], step=row[3] or 0,
                call_id=row[4] or "", name=row[5], arguments=arguments, ok=bool(row[7]),
                result=row[8] or "", truncated=bool(row[9]), duration_ms=row[10] or 0.0,
                created_at=row[11],
            ))
        return steps

    # -- tool cache (web search results, fetched pages) -----------------------------------

    def cache_get(self, key: str) -> str | None:
        """The cached value for ``key``, or None when absent or expired."""
        with self._tx() as db:
            row = db.execute(
                "SELECT value FROM tool_cache WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            ).fetchone()
        return None if row is None else str(row[0])

    def cache_put(self, key: str, kind: str, value: str, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (ttl <= 0: not cached); expired rows are
        removed on the way."""
        if ttl <= 0:
            return
        now = time.time()
        with self._tx(write=True) as db:
            db.execute("DELETE FROM tool_cache WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT OR REPLACE INTO tool_cache (key, kind, value, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, kind, value, now, now + ttl),
            )

    def cache_purge(self, kind: str | None = None, expired_only: bool = True) -> int:
        """Delete cached tool results (expired ones, or all; of one kind or every kind);
        returns how many rows went."""
        sql, params = "DELETE FROM tool_cache WHERE 1 = 1", []
        if expired_only:
            sql += " AND expires_at <= ?"
            params.append(time.time())
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        with self._tx(write=True) as db:
            return db.execute(sql, params).rowcount


def open_store(path: Path | None = None) -> Store:
    """The store at ``path`` (default: the data folder's ``fireside.db``)."""
    if path is None:
        from assistant.paths import get_paths

        path = get_paths().ensure().database
    return Store(path)
