"""``fireside index`` and ``fireside search``: summary lines, --json shapes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.indexer.conftest import write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def repo(tree: Path) -> Path:
    write(tree, "src/parser.py", "def parse_invoice(text):\n    return text.split(',')\n")
    write(tree, "src/render.py", "def render_invoice(invoice):\n    return str(invoice)\n")
    write(tree, "notes.md", "Invoices are parsed, then rendered.\n")
    return tree


def test_index_summary_then_noop(runner: CliRunner, repo: Path) -> None:
    first = runner.invoke(app, ["index", str(repo), "--no-embed"])
    assert first.exit_code == 0, first.output
    assert "3 files" in first.stdout and "3 changed" in first.stdout and "took" in first.stdout
    second = runner.invoke(app, ["index", str(repo), "--no-embed"])
    assert second.exit_code == 0 and "0 changed" in second.stdout
    as_json = json.loads(runner.invoke(app, ["index", str(repo), "--no-embed", "--json"]).stdout)
    assert as_json["changed"] == 0 and as_json["files"] == 3


def test_search_text_and_json(runner: CliRunner, repo: Path) -> None:
    runner.invoke(app, ["index", str(repo), "--no-embed"])
    out = runner.invoke(
        app, ["search", "parse_invoice", "--mode", "lexical", "--project", str(repo)]
    )
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0].startswith("src/parser.py:1-2  ")
    assert "def parse_invoice(text):" in out.stdout
    result = runner.invoke(
        app,
        ["search", "invoice", "--mode", "lexical", "--json", "--k", "2",
         "--path-glob", "src/**", "--project", str(repo)],
    )
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    for hit in hits:
        assert set(hit) == {"path", "start_line", "end_line", "score", "snippet"}
        assert hit["path"].startswith("src/") and not hit["path"].startswith("/")
        assert isinstance(hit["start_line"], int) and isinstance(hit["score"], float)


def test_status_json_and_forget(runner: CliRunner, repo: Path) -> None:
    runner.invoke(app, ["index", str(repo), "--no-embed"])
    status = json.loads(runner.invoke(app, ["index", str(repo), "--status", "--json"]).stdout)
    assert status["files"] == 3 and status["pending"] == status["chunks"]
    forgot = runner.invoke(app, ["index", "--forget", str(repo)])
    assert forgot.exit_code == 0
    again = runner.invoke(app, ["search", "x", "--project", str(repo)])
    assert again.exit_code == 1 and "run `fireside index`" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/folder"], "does not exist"),
        (["search", "   "], "give something to search for"),
        (["index", "--forget", "/no/such/folder"], "has no index"),
    ],
)
def test_one_line_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_errors_for_a_file_and_an_unindexed_folder(runner: CliRunner, repo: Path) -> None:
    result = runner.invoke(app, ["index", str(repo / "notes.md")])
    assert result.exit_code == 1 and result.stderr.strip() == (
        f"Error: {repo / 'notes.md'} is a file; give a folder to index"
    )
    result = runner.invoke(app, ["search", "x", "--project", str(repo)])
    assert result.exit_code == 1 and "not indexed yet" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_locked_index_is_one_line_and_search_still_works(runner: CliRunner, repo: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.indexer.test_project_lexical import LOCK_HOLDER, REPO_ROOT

    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(repo)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = runner.invoke(app, ["index", str(repo), "--no-embed"])
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: another Fireside process")
        found = runner.invoke(
            app, ["search", "parse_invoice", "--mode", "lexical", "--project", str(repo)]
        )
        assert found.exit_code == 0 and "src/parser.py:1-2" in found.stdout
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def test_forget_a_project_whose_folder_is_gone(runner: CliRunner, repo: Path) -> None:
    import shutil

    assert runner.invoke(app, ["index", str(repo), "--no-embed"]).exit_code == 0
    shutil.rmtree(repo)
    result = runner.invoke(app, ["index", "--forget", str(repo)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["index", "--forget", str(repo)])
    assert again.exit_code == 1 and "has no index" in again.stderr
