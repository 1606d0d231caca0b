"""Search over every message, the JSON Lines export read back without loss, the CLI
commands, and continuing an imported chat with the (scripted) local model."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.importers import import_file
from assistant.orchestrator import Orchestrator
from assistant.store import Store, export_records, open_store, search_sessions
from tests.support.exports import chatgpt_conversation, claude_conversation, write_zip
from tests.support.scripted import ScriptedProvider

PASTA = [("How long do I boil spaghetti?", "About 9 to 11 minutes, in salted water.")]
BREAD = [("Why did my sourdough not rise?", "Your starter was probably too young.")]


def _import_both(store: Store, tmp_path: Path) -> None:
    chatgpt = tmp_path / "chatgpt.json"
    chatgpt.write_text(json.dumps([chatgpt_conversation("c-pasta", "Pasta", PASTA),
                                   chatgpt_conversation("c-bread", "Bread", BREAD)]))
    claude = write_zip(tmp_path / "claude.zip", {
        "conversations.json": [claude_conversation("u-1", "Spaghetti again", PASTA)]})
    import_file(store, chatgpt)
    import_file(store, claude)


def test_search_ranks_chats_and_gives_title_date_and_snippet(
    store: Store, tmp_path: Path
) -> None:
    _import_both(store, tmp_path)
    local = store.create_session("Local chat")
    store.add_message(local.id, "user", "spaghetti spaghetti spaghetti carbonara")

    hits = search_sessions(store, "spaghetti")

    assert {h.title for h in hits} == {"Pasta", "Spaghetti again", "Local chat"}
    assert hits[0].title == "Local chat"  # the densest match ranks first
    assert all(h.score <= hits[-1].score for h in hits)
    pasta = next(h for h in hits if h.title == "Pasta")
    assert pasta.source == "chatgpt" and pasta.created_at.startswith("2024-05-01")
    assert "**spaghetti**" in pasta.snippet
    assert [h.title for h in search_sessions(store, "sourdough")] == ["Bread"]
    assert [h.title for h in search_sessions(store, "sourd*")] == ["Bread"]
    assert search_sessions(store, "spaghetti sourdough") == []
    assert search_sessions(store, '"') == []


def test_export_all_jsonl_round_trip_loses_nothing(
    store: Store, tmp_path: Path, fireside_home: Path, monkeypatch
) -> None:
    _import_both(store, tmp_path)
    local = store.create_session("Local chat", model="smollm2")
    store.add_message(local.id, "user", "What does main.py do?")
    answer = store.add_message(local.id, "assistant", "It starts the app.", model="smollm2",
                               prompt_tokens=40, completion_tokens=6, ttft_ms=12.5,
                               tokens_per_s=50.0, total_ms=130.0, provider="local")
    step = store.add_tool_step(local.id, step=1, call_id="c1", name="read_file",
                               arguments={"path": "main.py"}, ok=True, result="print('hi')")
    store.link_tool_steps([step], answer)
    from assistant.events import Source

    store.add_message_sources(local.id, answer, [Source("main.py", 1, 3, 0.9, "main")])
    before = list(export_records(store))
    path = tmp_path / "all.jsonl"
    result = CliRunner().invoke(app, ["sessions", "export", "--all", "--format", "jsonl",
                                      "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in path.read_text().splitlines()] == before

    monkeypatch.setenv("FIRESIDE_HOME", str(tmp_path / "elsewhere"))
    other = open_store()
    summary = import_file(other, path)
    assert (summary.source, summary.sessions) == ("fireside", 4)
    assert list(export_records(other)) == before  # every column, ids, steps and sources
    assert import_file(other, path).sessions == 0
    assert {s.source for s in other.list_sessions()} == {"chatgpt", "claude", None}
    other.close()


def test_cli_import_search_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    export = write_zip(tmp_path / "chatgpt.zip", {"conversations.json": [
        chatgpt_conversation("c-pasta", "Pasta", PASTA)]})

    result = runner.invoke(app, ["sessions", "import", str(export)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("Imported 1 session (6 messages) from ChatGPT;")

    result = runner.invoke(app, ["sessions", "search", "salted", "--json"])
    (hit,) = json.loads(result.stdout)
    assert hit["title"] == "Pasta" and hit["source"] == "chatgpt"
    result = runner.invoke(app, ["sessions", "search", "salted"])
    assert "Pasta  (chatgpt)" in result.stdout and "**salted**" in result.stdout
    assert "(chatgpt)" in runner.invoke(app, ["sessions", "list"]).stdout

    broken = tmp_path / "conversations.json"
    broken.write_text("[{")
    result = runner.invoke(app, ["sessions", "import", str(broken)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().startswith("Error: conversations.json is not valid JSON")
    result = runner.invoke(app, ["sessions", "export", "--all"])
    assert result.exit_code == 2 and "--format jsonl" in result.stderr


def test_continue_an_imported_chat_with_the_local_model(
    settings, store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([claude_conversation("u-1", "Notes", PASTA)]))
    import_file(store, path)
    (session,) = store.list_sessions()
    scripted = ScriptedProvider(["You said Friday."])
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: scripted)

    events = list(orchestrator.run_turn("When do we ship?", session_id=session.id, tools=False))

    assert events[-1].session_id == session.id
    sent = scripted.requests[-1]
    assert sent[-1] == {"role": "user", "content": "When do we ship?"}
    history = "\n".join(m["content"] for m in sent)
    assert "How long do I boil spaghetti?" in history
    assert "Meeting notes: ship the importer on Friday." in history  # attachment text
    messages = store.messages(session.id)
    assert messages[-1].role == "assistant" and messages[-1].content == "You said Friday."
    assert store.get_session(session.id).source == "claude"


def test_done_when_three_imports_search_and_continue_from_the_cli(
    tmp_path: Path, monkeypatch
) -> None:
    """The issue's story: a ChatGPT zip, a Claude zip and an llm logs.db imported, an old
    answer found with `sessions search`, and that chat continued with `fireside chat -s`."""
    import pytest

    llm = pytest.importorskip("llm")
    import sqlite_utils

    import providers.models
    from tests.importers.test_llm_logs import Canned

    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-home"))
    logs = sqlite_utils.Database(tmp_path / "logs.db")
    response = Canned(["Use a smaller kettle."]).conversation().prompt("How to save energy?")
    response.text()
    response.log_to_db(logs)
    logs.conn.close()
    assert isinstance(response.model, llm.Model)
    chatgpt = write_zip(tmp_path / "chatgpt.zip", {"conversations.json": [
        chatgpt_conversation("c-bread", "Bread", BREAD)]})
    claude = write_zip(tmp_path / "claude.zip", {"conversations.json": [
        claude_conversation("u-1", "Pasta notes", PASTA)]})
    scripted = ScriptedProvider(["Feed it twice a day."])
    monkeypatch.setattr(providers.models, "local_provider", lambda _settings: scripted)
    runner = CliRunner()

    for path in (chatgpt, claude, tmp_path / "logs.db"):
        result = runner.invoke(app, ["sessions", "import", str(path)])
        assert result.exit_code == 0 and result.stdout.startswith("Imported 1 session")
    (hit,) = json.loads(runner.invoke(app, ["sessions", "search", "starter", "--json"]).stdout)
    assert hit["title"] == "Bread"
    result = runner.invoke(app, ["chat", "-s", hit["session_id"], "How often should I feed it?"])

    assert result.exit_code == 0, result.output
    assert "Feed it twice a day." in result.stdout
    sent = "\n".join(m["content"] for m in scripted.requests[-1])
    assert "Your starter was probably too young." in sent


def test_a_very_common_word_ranks_the_newest_matches(store: Store, monkeypatch) -> None:
    import assistant.store.archive as archive

    ids = []
    for i in range(4):
        session = store.create_session(f"Chat {i}")
        store.add_message(session.id, "user", "kettle " * (4 - i))  # the oldest: densest
        ids.append(session.id)
    assert search_sessions(store, "kettle")[0].session_id == ids[0]
    monkeypatch.setattr(archive, "RANK_WINDOW", 2)

    assert [h.session_id for h in search_sessions(store, "kettle")] == [ids[2], ids[3]]
