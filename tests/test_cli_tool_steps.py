"""Tool steps in the CLI: `fireside chat` shows each call and a folded result on stderr, puts
the full steps in --json, --no-tools offers none, "ask" tools are refused without a terminal;
`fireside sessions show` and `export` include the steps of each answer."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import assistant.tools.registry
import providers.models
from assistant.cli import app
from assistant.config import Settings
from assistant.store import Store
from tests.support.tool_scripted import (
    BIG,
    UPPER,
    WRITE,
    ToolScriptedProvider,
    call,
    tool_registry,
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> ToolScriptedProvider:
    provider = ToolScriptedProvider(
        [call("shout", text="hello"), call("big", "call_2", words=12)], ["Shouted: HELLO."])
    monkeypatch.setattr(providers.models, "local_provider", lambda _s: provider)
    monkeypatch.setattr(assistant.tools.registry, "default_registry",
                        lambda settings, plugins=True: tool_registry(settings, UPPER, BIG, WRITE))
    return provider


def test_chat_shows_calls_and_folded_results_on_stderr(
    runner: CliRunner, model: ToolScriptedProvider
) -> None:
    result = runner.invoke(app, ["chat", "shout hello"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Shouted: HELLO.\n"
    err = result.stderr
    assert '→ shout(text="hello")' in err and "✓ ok" in err and "    HELLO" in err
    assert "→ big(words=12)" in err
    # The 12-word result is one line; folding keeps it, long results show a count instead.
    assert "    w0 w1" in err


def test_chat_json_has_the_full_tool_steps(
    runner: CliRunner, model: ToolScriptedProvider
) -> None:
    result = runner.invoke(app, ["chat", "--json", "shout hello"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    steps = data["tool_steps"]
    assert [(s["step"], s["name"], s["arguments"], s["ok"]) for s in steps] == [
        (1, "shout", {"text": "hello"}, True), (2, "big", {"words": 12}, True)]
    assert steps[1]["result"] == " ".join(f"w{i}" for i in range(12))
    assert "→" not in result.stderr  # --json prints no progress lines


def test_no_tools_offers_none(runner: CliRunner, model: ToolScriptedProvider) -> None:
    model.script = [["plain answer"]]
    result = runner.invoke(app, ["chat", "--no-tools", "hi"])
    assert result.exit_code == 0, result.output
    assert model.options[-1].tools == ()


def test_ask_tools_are_refused_without_a_terminal(
    runner: CliRunner, model: ToolScriptedProvider
) -> None:
    model.script = [[call("scribble", text="x")], ["Could not."]]
    result = runner.invoke(app, ["chat", "write it"])
    assert result.exit_code == 0, result.output
    assert "✗ scribble: needs the user's approval" in result.stderr
    assert "needs the user's approval" in result.stderr


def test_sessions_show_and_export_include_the_steps(
    runner: CliRunner, model: ToolScriptedProvider, store: Store, settings: Settings
) -> None:
    assert runner.invoke(app, ["chat", "shout hello"]).exit_code == 0
    session = store.list_sessions()[0]
    shown = runner.invoke(app, ["sessions", "show", session.id])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert text.index('→ shout(text="hello")') < text.index("Shouted: HELLO.")
    assert "(ok, " in text and "    HELLO" in text
    exported = runner.invoke(app, ["sessions", "export", session.id, "--format", "json"])
    data = json.loads(exported.stdout)
    answer_id = data["messages"][-1]["id"]
    assert [(s["name"], s["message_id"]) for s in data["tool_steps"]] == [
        ("shout", answer_id), ("big", answer_id)]
    markdown = runner.invoke(app, ["sessions", "export", session.id]).stdout
    assert '> → `shout(text="hello")` (ok, ' in markdown
    assert "<details><summary>result</summary>" in markdown and "HELLO" in markdown
