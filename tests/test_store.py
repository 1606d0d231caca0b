"""The session store on real SQLite files: migrations, CRUD, search, WAL, several processes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import assistant.store.db as store_db
from assistant.errors import SessionNotFoundError, StoreError
from assistant.store import Store, open_store
from assistant.store.migrations import MIGRATIONS

REPO_ROOT = Path(__file__).resolve().parents[1]
# Safety net so a broken child cannot hang the suite; never an assertion on speed.
CHILD_DEADLINE_S = 120


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _spawn(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *(str(a) for a in args)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, what: str, procs: list[subprocess.Popen[str]]) -> None:  # noqa: ANN001
    """Poll until ``predicate()``; fail (with the children's stderr) if a child dies first."""
    deadline = time.monotonic() + CHILD_DEADLINE_S
    while not predicate():
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"child exited ({proc.returncode}) before {what}: {err}")
        if time.monotonic() > deadline:
            for proc in procs:
                proc.kill()
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


# -- migrations -------------------------------------------------------------------------------


def test_migrations_run_on_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = Store(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
    finally:
        store.close()
    tables = _tables(path)
    assert {"_migrations", "sessions", "messages", "messages_fts"} <= tables


def test_reopening_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    first = Store(path)
    session = first.create_session("kept")
    first.add_message(session.id, "user", "still here")
    first.close()

    conn = sqlite3.connect(path)
    applied_before = conn.execute("SELECT version, applied_at FROM _migrations").fetchall()
    conn.close()

    second = Store(path)
    try:
        assert second.schema_version() == len(MIGRATIONS)
        assert [m.content for m in second.messages(session.id)] == ["still here"]
    finally:
        second.close()
    conn = sqlite3.connect(path)
    applied_after = conn.execute("SELECT version, applied_at FROM _migrations").fetchall()
    conn.close()
    assert applied_after == applied_before
    assert len(applied_after) == len(MIGRATIONS)


def test_open_store_defaults_to_the_data_folder(fireside_home: Path) -> None:
    store = open_store()
    try:
        assert store.path == fireside_home / "data" / "fireside.db"
        assert store.path.is_file()
    finally:
        store.close()


# -- sessions ---------------------------------------------------------------------------------


def test_create_get_and_list_sessions(store: Store) -> None:
    assert store.list_sessions() == []
    a = store.create_session("First", model="m1")
    b = store.create_session("Second")
    got = store.get_session(a.id)
    assert (got.id, got.title, got.model, got.message_count) == (a.id, "First", "m1", 0)
    # Same timestamp (millisecond resolution): the later-created session comes first.
    assert [s.id for s in store.list_sessions()] == [b.id, a.id]
    store.add_message(a.id, "user", "hi")
    listed = store.list_sessions()
    assert {s.id for s in listed} == {a.id, b.id}
    # Most recently used first: the message bumped "First"'s updated_at.
    first = next(s for s in listed if s.id == a.id)
    assert first.updated_at == store.messages(a.id)[-1].created_at
    assert first.updated_at >= a.updated_at
    assert first.message_count == 1
    assert [s.updated_at for s in listed] == sorted((s.updated_at for s in listed), reverse=True)
    assert store.list_sessions(limit=1) == listed[:1]


def test_rename_session(store: Store) -> None:
    s = store.create_session("Old")
    renamed = store.rename_session(s.id, "  New title  ")
    assert renamed.title == "New title"
    assert store.get_session(s.id).title == "New title"
    assert store.rename_session(s.id, "   ").title == "Untitled"


def test_delete_session_removes_its_messages_and_search_hits(store: Store) -> None:
    keep = store.create_session("keep")
    gone = store.create_session("gone")
    store.add_message(keep.id, "user", "zebra in the keep session")
    store.add_message(gone.id, "user", "zebra in the gone session")
    assert store.delete_session(gone.id[:8]) == gone.id
    assert [s.id for s in store.list_sessions()] == [keep.id]
    with pytest.raises(SessionNotFoundError):
        store.get_session(gone.id)
    hits = store.search_messages("zebra")
    assert [m.session_id for m in hits] == [keep.id]
    conn = sqlite3.connect(store.path)
    left = conn.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (gone.id,))
    assert left.fetchone()[0] == 0
    conn.close()


def test_id_prefix_resolution(store: Store) -> None:
    # 17 sessions over 16 hex digits: at least two share their first character.
    sessions = [store.create_session(f"s{i}") for i in range(17)]
    ids = [s.id for s in sessions]
    by_first: dict[str, list[str]] = {}
    for sid in ids:
        by_first.setdefault(sid[0], []).append(sid)
    shared = next(group for group in by_first.values() if len(group) > 1)

    with pytest.raises(SessionNotFoundError) as info:
        store.resolve_session_id(shared[0][0])
    assert "ambiguous" in str(info.value)
    assert "\n" not in str(info.value)

    for sid in ids:
        length = next(
            n for n in range(1, len(sid) + 1) if sum(o.startswith(sid[:n]) for o in ids) == 1
        )
        assert store.resolve_session_id(sid[:length]) == sid
        assert store.resolve_session_id(sid) == sid
        assert store.get_session(sid[:length]).id == sid


@pytest.mark.parametrize("bad", ["nope", "%", "_", "zzzz"])
def test_unknown_session_is_a_one_line_not_found_error(store: Store, bad: str) -> None:
    store.create_session("exists")  # a LIKE wildcard must not match it
    with pytest.raises(SessionNotFoundError) as info:
        store.resolve_session_id(bad)
    message = str(info.value)
    assert "\n" not in message
    assert bad in message
    assert info.value.exit_code == 2
    with pytest.raises(SessionNotFoundError):
        store.messages(bad)


def test_empty_session_id_is_rejected(store: Store) -> None:
    with pytest.raises(SessionNotFoundError):
        store.resolve_session_id("   ")


# -- messages ---------------------------------------------------------------------------------


def test_messages_keep_order_and_every_field(store: Store) -> None:
    s = store.create_session("fields")
    turns = [("user", f"question {i}") if i % 2 == 0 else ("assistant", f"answer {i}")
             for i in range(6)]
    ids = [store.add_message(s.id, role, text) for role, text in turns]
    full_id = store.add_message(
        s.id,
        "assistant",
        "the detailed one",
        model="SmolLM2",
        status="cancelled",
        finish_reason="cancelled",
        prompt_tokens=12,
        completion_tokens=34,
        ttft_ms=5.5,
        tokens_per_s=50.25,
        total_ms=700.0,
    )
    got = store.messages(s.id)
    assert [m.id for m in got] == [*ids, full_id]
    assert ids == sorted(ids)
    assert [(m.role, m.content) for m in got[:-1]] == turns
    plain = got[0]
    assert (plain.model, plain.status, plain.finish_reason, plain.prompt_tokens) == (
        None, "complete", None, None,
    )
    last = got[-1]
    assert last.session_id == s.id
    assert (last.role, last.content, last.model, last.status, last.finish_reason) == (
        "assistant", "the detailed one", "SmolLM2", "cancelled", "cancelled",
    )
    assert (last.prompt_tokens, last.completion_tokens) == (12, 34)
    assert (last.ttft_ms, last.tokens_per_s, last.total_ms) == (5.5, 50.25, 700.0)
    assert last.created_at.startswith("20") and "T" in last.created_at
    assert store.get_session(s.id).message_count == 7


def test_message_for_unknown_session_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        store.add_message("000000000000", "user", "orphan")
    assert "\n" not in str(info.value)


def _refuse(path: Path, trigger: str) -> None:
    """Install a real SQLite trigger (from another connection) that makes a statement fail."""
    conn = sqlite3.connect(path)
    conn.execute(trigger)
    conn.commit()
    conn.close()


def test_add_message_is_one_transaction(store: Store) -> None:
    s = store.create_session("atomic")
    _refuse(
        store.path,
        "CREATE TRIGGER no_bump BEFORE UPDATE ON sessions "
        "BEGIN SELECT RAISE(ABORT, 'bump refused'); END",
    )
    with pytest.raises(StoreError):
        store.add_message(s.id, "user", "half-saved pelican")
    # The failed call saved nothing: no message, no search hit.
    assert store.messages(s.id) == []
    assert store.search_messages("pelican") == []


def test_delete_session_is_one_transaction(store: Store) -> None:
    s = store.create_session("atomic")
    store.add_message(s.id, "user", "keep me")
    _refuse(
        store.path,
        "CREATE TRIGGER no_delete BEFORE DELETE ON sessions "
        "BEGIN SELECT RAISE(ABORT, 'delete refused'); END",
    )
    with pytest.raises(StoreError):
        store.delete_session(s.id)
    # Nothing half-deleted: the session still has its message.
    assert [m.content for m in store.messages(s.id)] == ["keep me"]


def test_full_text_search_finds_message_text(store: Store) -> None:
    s = store.create_session("search")
    store.add_message(s.id, "user", "How do I parse TOML files in Python?")
    store.add_message(s.id, "assistant", "Use tomllib from the standard library.")
    store.add_message(s.id, "user", "Unrelated: the weather is nice")

    hits = store.search_messages("tomllib")
    assert [m.content for m in hits] == ["Use tomllib from the standard library."]
    # porter stemming: "parsing" finds "parse"
    assert [m.role for m in store.search_messages("parsing toml")] == ["user"]
    assert store.search_messages("nonexistentword") == []
    assert store.search_messages("   ") == []
    # FTS5 syntax characters in user input are searched as text, not parsed.
    for odd in ['"unbalanced', "AND OR NOT", "toml*", "NEAR(", "col:value"]:
        assert isinstance(store.search_messages(odd), list)


# -- SQLite settings --------------------------------------------------------------------------


def test_wal_mode_and_busy_timeout(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == store_db.BUSY_TIMEOUT_MS
    # WAL is a property of the file: a fresh connection sees it too.
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_held_write_lock_becomes_a_one_line_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "locked.db"
    store = Store(path)
    session = store.create_session("t")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO sessions (id, title, created_at, updated_at) "
                      "VALUES ('holder', 'h', 'x', 'x')")
        with pytest.raises(StoreError) as info:
            store.add_message(session.id, "user", "blocked")
        assert not isinstance(info.value, sqlite3.Error)
        message = str(info.value)
        assert "\n" not in message
        assert "locked" in message
        assert str(path) in message
        with pytest.raises(StoreError):
            store.create_session("also blocked")
        other.execute("ROLLBACK")
    finally:
        other.close()
    # Once the lock is gone the same Store works again.
    store.add_message(session.id, "user", "unblocked")
    assert [m.content for m in store.messages(session.id)] == ["unblocked"]
    store.close()


def _rollback_journal_db_locked_by_another_writer(path: Path) -> sqlite3.Connection:
    """A database in SQLite's default rollback-journal mode (as any other tool leaves it),
    with a write transaction open in another connection."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE unrelated (x)")
    assert holder.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO unrelated VALUES (1)")
    return holder


def test_opening_waits_for_another_writer_instead_of_failing(tmp_path: Path) -> None:
    # SQLite answers `PRAGMA journal_mode = WAL` with SQLITE_BUSY at once, without the busy
    # handler, while another connection writes in rollback-journal mode. This is what two
    # Fireside processes starting together on a new database ran into.
    path = tmp_path / "busy-open.db"
    holder = _rollback_journal_db_locked_by_another_writer(path)
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        store = Store(path)
    finally:
        release.join()
        holder.close()
    try:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version() == len(MIGRATIONS)
    finally:
        store.close()


def test_opening_a_database_locked_too_long_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "busy-open.db"
    holder = _rollback_journal_db_locked_by_another_writer(path)
    try:
        with pytest.raises(StoreError) as info:
            Store(path)
    finally:
        holder.close()
    assert "locked" in str(info.value)
    assert "\n" not in str(info.value)


def test_corrupt_database_file_is_a_store_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(random.Random(1234).randbytes(8192))
    with pytest.raises(StoreError) as info:
        Store(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as info:
        Store(blocker / "sub" / "fireside.db")
    assert "\n" not in str(info.value)


# -- several processes ------------------------------------------------------------------------

_WRITER = """
import sys, time
from pathlib import Path
from assistant.store import Store
path, session_id, n, tag, ready, go = sys.argv[1:]
store = Store(Path(path))
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.005)
for i in range(int(n)):
    store.add_message(session_id, "user", f"{tag} {i}")
store.close()
"""


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_no_row(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = Store(path)
    session = store.create_session("shared")
    n = 300
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{tag}" for tag in ("a", "b")]
    procs = [
        _spawn(_WRITER, path, session.id, n, tag, ready, go)
        for tag, ready in zip(("a", "b"), readies, strict=True)
    ]
    try:
        _wait_for(lambda: all(r.exists() for r in readies), "both writers ready", procs)
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=CHILD_DEADLINE_S)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    messages = store.messages(session.id)
    assert len(messages) == 2 * n
    assert len({m.id for m in messages}) == 2 * n
    for tag in ("a", "b"):
        # each writer's rows are all there, in the order it wrote them
        mine = [int(m.content.split()[1]) for m in messages if m.content.startswith(tag + " ")]
        assert mine == list(range(n))
    assert store.get_session(session.id).message_count == 2 * n
    store.close()


_OPENER = """
import sys, time
from pathlib import Path
from assistant.store import Store
path, tag, ready, go = sys.argv[1:]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.002)
store = Store(Path(path))
s = store.create_session(tag)
for i in range(20):
    store.add_message(s.id, "user", f"{tag} {i}")
print(store.schema_version())
store.close()
"""


@pytest.mark.slow
def test_two_processes_opening_a_new_database_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{tag}" for tag in ("a", "b")]
    procs = [
        _spawn(_OPENER, path, tag, ready, go)
        for tag, ready in zip(("a", "b"), readies, strict=True)
    ]
    try:
        _wait_for(lambda: all(r.exists() for r in readies), "both openers ready", procs)
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=CHILD_DEADLINE_S)
            assert proc.returncode == 0, err
            assert out.strip() == str(len(MIGRATIONS))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    store = Store(path)
    try:
        assert sorted(s.title for s in store.list_sessions()) == ["a", "b"]
        assert all(s.message_count == 20 for s in store.list_sessions())
        versions = store.conn.execute("SELECT version FROM _migrations ORDER BY version").fetchall()
        assert [v[0] for v in versions] == list(range(1, len(MIGRATIONS) + 1))
    finally:
        store.close()


_ENDLESS = """
import sys
from pathlib import Path
from assistant.store import Store
path, session_id, marker, after = sys.argv[1:]
store = Store(Path(path))
i = 0
while True:
    store.add_message(session_id, "assistant", f"row {i} " + "text " * 50,
                      model="m", prompt_tokens=i, completion_tokens=i)
    i += 1
    if i == int(after):
        Path(marker).touch()
"""


@pytest.mark.slow
def test_process_killed_mid_write_leaves_a_sound_database(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    setup = Store(path)
    session = setup.create_session("crash")
    setup.close()
    marker = tmp_path / "wrote-enough"
    after = 200
    proc = _spawn(_ENDLESS, path, session.id, marker, after)
    try:
        _wait_for(marker.exists, f"{after} rows written", [proc])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=CHILD_DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # The full-text index still matches its content table.
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    finally:
        conn.close()

    store = Store(path)
    try:
        rows = store.messages(session.id)
        assert len(rows) >= after
        assert [m.prompt_tokens for m in rows] == list(range(len(rows)))
        assert all(m.content.startswith(f"row {m.prompt_tokens} ") for m in rows)
        new_id = store.add_message(session.id, "user", "after the crash")
        assert store.messages(session.id)[-1].id == new_id
        assert store.search_messages("crash")[0].id == new_id
    finally:
        store.close()
