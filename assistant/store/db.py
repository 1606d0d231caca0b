"""The session database: SQLite through sqlite-utils, WAL mode, busy timeout, migrations.

One :class:`Store` per process; it may be used from several threads (a lock serialises
access). Two processes may write at once: WAL plus a busy timeout makes the second wait
instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import SessionNotFoundError, StoreError
from assistant.store.messages import MessageRecords
from assistant.store.migrations import MIGRATIONS
from assistant.store.records import Message, Session, ToolStep, new_session_id, now
from assistant.store.tool_records import ToolCacheRecords, ToolStepRecords
from assistant.store.turn_context import TurnContextRecords
from assistant.store.turn_lock import TurnLock, remove_lock

__all__ = ["BUSY_TIMEOUT_MS", "Message", "Session", "Store", "ToolStep", "new_session_id",
           "open_store"]

BUSY_TIMEOUT_MS = 10_000


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


class Store(MessageRecords, TurnContextRecords, ToolStepRecords, ToolCacheRecords):
    """Sessions and messages. Every method is one short transaction.

    The connection and sessions live here; messages (:mod:`.messages`), pins and turn
    context (:mod:`.turn_context`), tool steps and the tool cache (:mod:`.tool_records`)
    are parts it inherits."""

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
                        (number, now()),
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
        stamp = now()
        session = Session(session_id or new_session_id(), title, model, stamp, stamp)
        with self._tx(write=True) as db:
            db.execute(
                "INSERT INTO sessions (id, title, model, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.id, session.title, session.model, stamp, stamp),
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
                (title, now(), full),
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


def open_store(path: Path | None = None) -> Store:
    """The store at ``path`` (default: the data folder's ``fireside.db``)."""
    if path is None:
        from assistant.paths import get_paths

        path = get_paths().ensure().database
    return Store(path)
