"""ChatGPT and Claude exports into a real store: active branch, hidden and empty nodes,
notes for non-text content, models and times, zips and split files, idempotency, and a
corrupt file that imports nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ImportFormatError
from assistant.importers import import_file, read_export
from assistant.store import Store
from tests.support.exports import chatgpt_conversation, claude_conversation, write_zip

PASTA = [("How long do I boil spaghetti?", "About 9 to 11 minutes, in salted water."),
         ("And fresh pasta?", "Two to three minutes.")]


def _chatgpt_file(tmp_path: Path, *conversations: dict) -> Path:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(list(conversations)), encoding="utf-8")
    return path


def test_chatgpt_active_branch_with_notes_models_and_times(store: Store, tmp_path: Path) -> None:
    path = _chatgpt_file(tmp_path, chatgpt_conversation("c-pasta", "Cooking pasta", PASTA))

    summary = import_file(store, path)

    assert (summary.sessions, summary.messages) == (1, 8)
    assert summary.skipped == {"hidden system message": 1}
    assert summary.line == ("Imported 1 session (8 messages) from ChatGPT; skipped: 1 hidden"
                            " system message.")
    (session,) = store.list_sessions()
    assert session.title == "Cooking pasta" and session.source == "chatgpt"
    assert session.created_at == "2024-05-01T08:00:00.000+00:00"
    messages = store.messages(session.id)
    assert [m.role for m in messages] == ["user", "assistant"] * 4
    texts = [m.content for m in messages]
    # The regenerated answer is the one kept; the first draft was another branch.
    assert texts[1] == "About 9 to 11 minutes, in salted water."
    assert "An earlier draft" not in " ".join(texts)
    assert texts[4] == "[image: 1024×768]\n\nWhat does this chart show?\n\n[attached: q3.png]"
    assert texts[5] == ("```python\nimport pandas as pd\nprint(42)\n```\n\n[code output: 42]"
                        "\n\nThe chart shows revenue rising each quarter.")
    assert texts[7] == ("[thoughts: Checking Q4]\n\n[reasoning: Thought for 9 seconds]\n\n"
                        "Q4 was flat after all.")
    assert [m.model for m in messages if m.role == "assistant"] == ["gpt-4o"] * 3 + ["o3"]
    assert messages[0].created_at == "2024-05-01T08:00:15.000+00:00"
    assert session.model == "o3"


def test_importing_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = _chatgpt_file(tmp_path, chatgpt_conversation("c1", "One", PASTA),
                         chatgpt_conversation("c2", "Two", PASTA, extras=False))
    assert import_file(store, path).sessions == 2

    again = import_file(store, path)

    assert (again.sessions, again.messages) == (0, 0)
    assert again.skipped["already imported"] == 2
    assert len(store.list_sessions()) == 2


def test_chatgpt_zip_and_split_files(store: Store, tmp_path: Path) -> None:
    first = [chatgpt_conversation(f"z{i}", f"Chat {i}", PASTA, extras=False) for i in range(3)]
    second = [chatgpt_conversation(f"z{i}", f"Chat {i}", PASTA, extras=False) for i in range(3, 5)]
    archive = write_zip(tmp_path / "chatgpt-export.zip", {
        "conversations-000.json": first, "conversations-001.json": second})

    assert import_file(store, archive).sessions == 5

    folder = tmp_path / "unzipped"
    folder.mkdir()
    (folder / "conversations-000.json").write_text(json.dumps(first))
    (folder / "conversations-001.json").write_text(json.dumps(
        [*second, chatgpt_conversation("z9", "Late", PASTA, extras=False)]))
    # Pointing at the first split file brings the others along; only z9 is new.
    summary = import_file(store, folder / "conversations-000.json", "chatgpt")
    assert (summary.sessions, summary.skipped["already imported"]) == (1, 5)


def test_claude_blocks_attachments_and_zip(store: Store, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "claude.zip", {"conversations.json": [
        claude_conversation("u-1", "Shipping the importer", PASTA),
        {"uuid": "u-empty", "name": "", "chat_messages": [], "created_at": None},
    ]})

    summary = import_file(store, archive)

    assert summary.source == "claude"
    assert (summary.sessions, summary.messages) == (1, 6)
    assert summary.skipped == {"empty conversation": 1}
    (session,) = store.list_sessions()
    messages = store.messages(session.id)
    assert messages[4].content == "Summarise the attached notes.\n\n[attached: notes.txt]"
    assert messages[4].attachment_text == (
        "--- notes.txt ---\nMeeting notes: ship the importer on Friday.")
    assert messages[5].content == (
        '[thinking: Reading the notes]\n\n[tool web_search: {"query":"importer"}]\n\n'
        "[tool result web_search: No results.]\n\nThe importer ships on Friday.")
    assert messages[0].created_at == "2024-06-01T10:00:00.000+00:00"


def test_attachment_text_is_searchable_and_given_to_the_model(
    store: Store, tmp_path: Path
) -> None:
    from assistant.store import search_sessions

    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([claude_conversation("u-2", "Notes", PASTA)]))
    import_file(store, path, "claude")

    (hit,) = search_sessions(store, "friday meeting")
    assert hit.title == "Notes"


@pytest.mark.parametrize(
    ("content", "fmt", "expected"),
    [
        (b"{not json", None, "is not valid JSON"),
        (b'[{"hello": 1}]', None, "neither a ChatGPT nor a Claude export"),
        (b"PK\x03\x04garbage", None, "damaged zip"),
        (b"SQLite format 3\x00" + b"\x00" * 200, None, "cannot be read as an llm logs.db"),
        (b"\xff\xfe\x00binary", None, "not valid JSON"),
    ],
)
def test_unknown_or_corrupt_files_are_one_clear_error(
    store: Store, tmp_path: Path, content: bytes, fmt: str | None, expected: str
) -> None:
    path = tmp_path / "export.bin"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=expected):
        import_file(store, path, fmt)
    assert store.list_sessions() == []


def test_wrong_format_named(tmp_path: Path) -> None:
    path = _chatgpt_file(tmp_path, chatgpt_conversation("c1", "One", PASTA))
    with pytest.raises(ImportFormatError, match="looks like a ChatGPT export, not a Claude"):
        read_export(path, "claude")
    with pytest.raises(ImportFormatError, match="no such file"):
        read_export(tmp_path / "missing.json")


def test_a_failure_midway_leaves_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction: when writing the third chat fails, the first two are not kept."""
    import assistant.store.archive as archive

    path = _chatgpt_file(tmp_path, *[chatgpt_conversation(f"c{i}", f"Chat {i}", PASTA)
                                     for i in range(4)])
    real = archive._write_session
    calls = []

    def failing(db, cols, session):  # noqa: ANN001, ANN202 - test double
        calls.append(session.source_id)
        if len(calls) == 3:
            import sqlite3

            raise sqlite3.OperationalError("disk I/O error")
        return real(db, cols, session)

    monkeypatch.setattr(archive, "_write_session", failing)
    with pytest.raises(Exception, match="disk I/O error"):
        import_file(store, path)
    assert store.list_sessions() == []
    assert store.search_messages("spaghetti") == []


def test_chatgpt_tool_calls_and_outputs_become_notes(store: Store, tmp_path: Path) -> None:
    from tests.support.exports import ChatGPTTree, text

    tree = ChatGPTTree("c-dalle")
    tip = tree.say(tree.root, "user", text("Draw a red fox"))
    tip = tree.say(tip, "assistant", text('{"prompt": "a red fox in snow"}'), model="gpt-4o",
                   recipient="dalle.text2im")
    tip = tree.say(tip, "tool", {"content_type": "multimodal_text", "parts": [
        {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-1",
         "width": 1024, "height": 1024, "metadata": {"dalle": {"prompt": "a red fox in snow"}}}]},
        name="dalle.text2im")
    tip = tree.say(tip, "tool", text("DALL·E displayed 1 images. Do not describe them."),
                   name="dalle.text2im")
    tip = tree.say(tip, "assistant", text("Here is your fox."), model="gpt-4o")
    conversation = {"id": "c-dalle", "title": "Fox", "create_time": 1.7e9, "update_time": 1.7e9,
                    "mapping": tree.mapping, "current_node": tip}
    path = _chatgpt_file(tmp_path, conversation)

    import_file(store, path)

    (session,) = store.list_sessions()
    assert [m.content for m in store.messages(session.id)] == [
        "Draw a red fox",
        '[call dalle.text2im: {"prompt": "a red fox in snow"}]\n\n'
        "[image: 1024×1024 a red fox in snow]\n\n"
        "[dalle.text2im output: DALL·E displayed 1 images. Do not describe them.]\n\n"
        "Here is your fox.",
    ]
