"""simonw/llm's logs.db, made by the real ``llm`` package through its own migrations:

* legacy: llm's migrations up to the last one before the message store (what llm ≤ 0.2x
  databases are), with rows as those versions logged them (conversations + responses);
* new: the current llm (0.36) logging real responses of a real ``llm.Model`` into
  threads/turns/messages/parts, on top of an upgraded legacy database (both generations in
  one file, as a user who upgraded llm has).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.importers import import_file
from assistant.store import Store

llm = pytest.importorskip("llm")
sqlite_utils = pytest.importorskip("sqlite_utils")


@pytest.fixture(autouse=True)
def _llm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-home"))


class Canned(llm.Model):
    """A real llm model whose answers are given up front (no network, no weights)."""

    model_id = "canned-1"
    can_stream = True

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)

    def execute(self, prompt, stream, response, conversation) -> Iterator[str]:  # noqa: ANN001
        yield self.replies.pop(0)


def _legacy_db(path: Path) -> sqlite_utils.Database:
    """A logs.db as llm ≤ 0.2x left it: its migrations up to the message store."""
    from llm.migrations import MIGRATIONS, ensure_migrations_table

    db = sqlite_utils.Database(path)
    ensure_migrations_table(db)
    for migration in MIGRATIONS:
        if migration.__name__ == "m023_message_store":
            break
        migration(db)
        db["_llm_migrations"].insert({"name": migration.__name__, "applied_at": "2024"})
    return db


def _log_legacy(db: sqlite_utils.Database, conversation: str | None, model: str,
                pairs: list[tuple[str, str]], start: datetime.datetime,
                system: str | None = None) -> None:
    """Rows as llm ≤ 0.2x's Response.log_to_db wrote them."""
    if conversation:
        db["conversations"].insert(
            {"id": conversation, "name": pairs[0][0][:40], "model": model}, ignore=True)
    for i, (prompt, answer) in enumerate(pairs):
        db["responses"].insert({
            "id": f"{conversation or 'lone'}-{i}", "model": model, "prompt": prompt,
            "system": system, "prompt_json": json.dumps({"messages": []}),
            "options_json": "{}", "response": answer, "response_json": None,
            "conversation_id": conversation, "duration_ms": 812,
            "datetime_utc": (start + datetime.timedelta(minutes=i)).isoformat(),
            "input_tokens": 12, "output_tokens": 30, "token_details": None,
        })


def test_legacy_logs_db(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    db = _legacy_db(path)
    start = datetime.datetime(2023, 7, 12, 3, 58, 42, 123456)
    _log_legacy(db, "01h5conv", "gpt-3.5-turbo",
                [("Name a prime", "7"), ("Another", "11")], start, system="Be terse.")
    _log_legacy(db, None, "gpt-4", [("Lone question about sqlite", "Lone answer")], start)
    db.conn.close()

    summary = import_file(store, path)

    assert summary.source == "llm" and (summary.sessions, summary.messages) == (2, 7)
    sessions = {s.title: s for s in store.list_sessions()}
    convo = store.messages(sessions["Name a prime"].id)
    assert [(m.role, m.content, m.model) for m in convo] == [
        ("system", "Be terse.", None), ("user", "Name a prime", None),
        ("assistant", "7", "gpt-3.5-turbo"), ("user", "Another", None),
        ("assistant", "11", "gpt-3.5-turbo")]
    assert convo[1].created_at == "2023-07-12T03:58:42.123+00:00"
    assert convo[4].created_at == "2023-07-12T03:59:42.123+00:00"
    assert sessions["Lone question about sqlite"].source == "llm"
    assert import_file(store, path).sessions == 0


def test_new_message_store_and_upgraded_database(store: Store, tmp_path: Path) -> None:
    from llm.migrations import migrate

    path = tmp_path / "logs.db"
    db = _legacy_db(path)
    _log_legacy(db, "01h5old", "gpt-3.5-turbo", [("Old question", "Old answer")],
                datetime.datetime(2023, 1, 2, 3, 4, 5))
    migrate(db)  # upgraded to llm 0.36: the message store joins the legacy tables
    model = Canned(["Paris is the capital of France.", "About 2.1 million people live there."])
    conversation = model.conversation()
    for prompt, system in (("What is the capital of France?", "Answer in one line."),
                           ("How many people live there?", None)):
        response = conversation.prompt(prompt, system=system)
        response.text()
        response.log_to_db(db)
    assert db["responses"].count == 1 and db["threads"].count == 1  # both generations
    db.conn.close()

    summary = import_file(store, path)

    assert (summary.sessions, summary.messages) == (2, 7)
    sessions = {s.title: s for s in store.list_sessions()}
    new = store.messages(sessions["What is the capital of France?"].id)
    assert [(m.role, m.content, m.model) for m in new] == [
        ("system", "Answer in one line.", None),
        ("user", "What is the capital of France?", None),
        ("assistant", "Paris is the capital of France.", "canned-1"),
        ("user", "How many people live there?", None),
        ("assistant", "About 2.1 million people live there.", "canned-1"),
    ]
    assert new[2].created_at.startswith(str(datetime.datetime.now(datetime.UTC).year))
    assert new[2].created_at <= new[4].created_at
    assert [m.content for m in store.messages(sessions["Old question"].id)] == [
        "Old question", "Old answer"]
    again = import_file(store, path)
    assert again.sessions == 0 and again.skipped == {"already imported": 2}


def test_llm_tool_calls_become_notes(store: Store, tmp_path: Path) -> None:
    """A chain with a tool call and its result (written through llm's own LogStore)."""
    from llm.logs import LogStore
    from llm.parts import Message, TextPart, ToolCallPart, ToolResultPart

    db = sqlite_utils.Database(tmp_path / "logs.db")
    logs = LogStore(db)
    thread = logs.create_thread(name="Weather")
    logs.append(thread, [
        Message("user", [TextPart("Weather in Oslo?")]),
        Message("assistant", [ToolCallPart("weather", {"city": "Oslo"}, "call-1")]),
        Message("tool", [ToolResultPart("weather", "4 °C, rain", "call-1")]),
        Message("assistant", [TextPart("It is 4 °C and raining in Oslo.")]),
    ])
    db.conn.close()

    import_file(store, tmp_path / "logs.db", "llm")

    (session,) = store.list_sessions()
    assert [m.content for m in store.messages(session.id)] == [
        "Weather in Oslo?",
        '[tool weather: {"city":"Oslo"}]\n\n[tool result weather: 4 °C, rain]\n\n'
        "It is 4 °C and raining in Oslo.",
    ]


def test_an_sqlite_file_that_is_not_llm(store: Store, tmp_path: Path) -> None:
    from assistant.errors import ImportFormatError

    other = sqlite_utils.Database(tmp_path / "other.db")
    other["things"].insert({"a": 1})
    other.conn.close()
    with pytest.raises(ImportFormatError, match="not an llm logs.db"):
        import_file(store, tmp_path / "other.db")
