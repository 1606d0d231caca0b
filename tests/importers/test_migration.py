"""The imported-sessions migration on a database that already holds chats: old messages stay
searchable (the search index is rebuilt over text and attachment text)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from assistant.store import Store, search_sessions
from assistant.store.migrations import MIGRATIONS


def test_existing_messages_stay_searchable_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "fireside.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    db = sqlite_utils.Database(conn)
    before = MIGRATIONS.index(next(m for m in MIGRATIONS if "imported" in m.__name__))
    for number, migration in enumerate(MIGRATIONS[:before], start=1):
        migration(db)
        conn.execute("INSERT INTO _migrations VALUES (?, 'then')", (number,))
    conn.execute("INSERT INTO sessions VALUES ('old1', 'Old chat', NULL, '2024', '2024')")
    conn.execute("INSERT INTO messages (session_id, role, content, status, created_at)"
                 " VALUES ('old1', 'user', 'where is the kettle descaler', 'complete', '2024')")
    conn.commit()
    conn.close()

    store = Store(path)

    assert store.schema_version() == len(MIGRATIONS)
    (hit,) = search_sessions(store, "descaler")
    assert (hit.session_id, hit.source) == ("old1", None)
    assert store.get_session("old1").source is None
    store.close()
