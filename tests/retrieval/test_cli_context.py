"""``fireside chat`` uses the current project's index when one exists (never builds it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.config import load_settings
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.test_cli import invoke, provider, runner  # noqa: F401 - fixtures


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "demo"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "src" / "tokens.py").write_text(
        "def count_tokens(text):\n    return len(text.split())\n"
    )
    (root / ".env").write_text("TOKENS=hunter2\n")
    monkeypatch.chdir(root / "src")  # anywhere inside the project
    return root


def build_index(root: Path) -> None:
    from indexer.project import open_project

    project = open_project(root, load_settings())
    try:
        project.update(embed=False)
    finally:
        project.close()


def test_chat_uses_the_index_and_shows_its_sources(
    runner: CliRunner, provider: ScriptedProvider, project: Path  # noqa: F811
) -> None:
    build_index(project)
    result = invoke(runner, ["chat", "how are tokens counted?"])
    assert result.exit_code == 0, result.stderr
    assert "context: src/tokens.py:1-2" in result.stderr
    sent = provider.requests[0][-1]["content"]
    assert "def count_tokens" in sent and "hunter2" not in sent

    result = invoke(runner, ["chat", "--json", "how are tokens counted?"])
    data = json.loads(result.stdout)
    assert data["sources"][0]["path"] == "src/tokens.py"
    assert (data["sources"][0]["start_line"], data["sources"][0]["end_line"]) == (1, 2)
    assert "context:" not in result.stderr


def test_no_context_sends_the_question_alone(
    runner: CliRunner, provider: ScriptedProvider, project: Path, store: Store  # noqa: F811
) -> None:
    build_index(project)
    result = invoke(runner, ["chat", "--no-context", "--json", "how are tokens counted?"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sources"] == []
    assert provider.requests[0][-1]["content"] == "how are tokens counted?"


def test_without_an_index_chat_says_so_once_and_builds_none(
    runner: CliRunner, provider: ScriptedProvider, project: Path  # noqa: F811
) -> None:
    from indexer.project import index_dir

    result = invoke(runner, ["chat", "how are tokens counted?"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("no index for this project: run `fireside index`") == 1
    assert provider.requests[0][-1]["content"] == "how are tokens counted?"
    assert not (index_dir(project) / "index.db").exists()


def test_sessions_show_lists_the_context_of_each_answer(
    runner: CliRunner, provider: ScriptedProvider, project: Path  # noqa: F811
) -> None:
    build_index(project)
    session = json.loads(invoke(runner, ["chat", "--json", "count tokens?"]).stdout)["session_id"]
    invoke(runner, ["chat", "--no-context", "--session", session, "thanks"])
    shown = invoke(runner, ["sessions", "show", session])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.count("context: src/tokens.py:1-2") == 1
