"""assistant.sessions: the saved chats as front ends see them (the TUI, the CLI, the API)."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.errors import SessionNotFoundError
from assistant.orchestrator import Orchestrator
from assistant.session_state import SUFFIX, state_dir
from assistant.sessions import Sessions, open_sessions
from assistant.store import Store


def test_it_lists_reads_renames_and_finds_chats(store: Store) -> None:
    older = store.create_session("Lists in Python").id
    store.add_message(older, "user", "What is a list?")
    answer = store.add_message(older, "assistant", "A mutable sequence.", model="m")
    store.set_pins(older, [("src/app.py", 1, 5)])
    newer = store.create_session("Rust lifetimes").id
    sessions = Sessions(store)

    assert [s.id for s in sessions.recent()] == [newer, older]
    assert [s.id for s in sessions.recent(limit=1)] == [newer]
    assert sessions.resolve(older[:6]) == older
    assert sessions.get(older[:6]).message_count == 2
    assert [m.id for m in sessions.messages(older)][-1] == answer
    assert sessions.sources(older) == {}
    assert sessions.tool_steps(older) == []
    assert sessions.pins(older) == [("src/app.py", 1, 5)]
    assert sessions.rename(older, "  ").title == "Untitled"
    assert [h.session_id for h in sessions.search("mutable")] == [older]
    assert "**mutable**" in sessions.search("mutable")[0].snippet.lower()
    assert [r["session"]["title"] for r in sessions.export([older])] == ["Untitled"]


def test_delete_removes_the_chat_and_its_saved_model_state(store: Store) -> None:
    kept = store.create_session("kept").id
    gone = store.create_session("gone").id
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{gone}-abc{SUFFIX}").write_bytes(b"state")
    (folder / f"{kept}-abc{SUFFIX}").write_bytes(b"state")

    assert Sessions(store).delete(gone[:8]) == gone

    assert [s.id for s in store.list_sessions()] == [kept]
    assert sorted(p.name for p in folder.iterdir()) == [f"{kept}-abc{SUFFIX}"]
    with pytest.raises(SessionNotFoundError):
        Sessions(store).get(gone)


def test_open_sessions_opens_the_usual_store_and_the_orchestrator_hands_out_its_own(
    store: Store, settings: Settings
) -> None:
    chat = store.create_session("saved").id
    opened = open_sessions()
    try:
        assert [s.id for s in opened.recent()] == [chat]
    finally:
        opened.close()
    orchestrator = Orchestrator(settings, store)
    assert orchestrator.sessions.store is store
