"""``fireside web`` and ``fireside fetch`` through the real CLI app (ddgs replaced at its
boundary; pages from a real local HTTP server)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ddgs
import pytest
from ddgs.exceptions import DDGSException
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.tools import web_search
from tests.tools.servers import Server, reply
from tests.tools.test_fetch_url import ARTICLE
from tests.tools.test_web_search import FakeDDGS

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def fake_ddgs(monkeypatch: pytest.MonkeyPatch) -> type[FakeDDGS]:
    FakeDDGS.outcomes = []
    FakeDDGS.calls = []
    monkeypatch.setattr(ddgs, "DDGS", FakeDDGS)
    monkeypatch.setattr(web_search, "BACKOFF_SECONDS", 0.01)
    return FakeDDGS


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.routes["/a"] = lambda h: reply(h, ARTICLE)
    srv.routes["/big"] = lambda h: reply(h, "word " * 2000, content_type="text/plain")
    srv.routes["/pdf"] = lambda h: reply(h, b"%PDF", content_type="application/pdf")
    yield srv
    srv.close()


@pytest.fixture
def allow_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_TOOLS__ALLOW_PRIVATE_HOSTS", '["127.0.0.1"]')


def invoke(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_web_prints_results(runner: CliRunner) -> None:
    result = invoke(runner, "web", "python", "--max-results", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "1. Welcome to Python.org",
        "   https://www.python.org/",
        "   The official home of the Python Programming Language.",
    ]
    assert FakeDDGS.calls[0]["max_results"] == 2


def test_web_json_and_cache(runner: CliRunner) -> None:
    first = json.loads(invoke(runner, "web", "python", "--json").stdout)
    assert first["backend"] == "ddgs" and first["cached"] is False
    assert first["results"][0] == {
        "title": "Welcome to Python.org",
        "url": "https://www.python.org/",
        "snippet": "The official home of the Python Programming Language.",
    }
    again = json.loads(invoke(runner, "web", "python", "--json").stdout)
    assert again["cached"] is True and len(FakeDDGS.calls) == 1
    invoke(runner, "web", "python", "--json", "--no-cache")
    assert len(FakeDDGS.calls) == 2


def test_web_offline_is_one_line(runner: CliRunner) -> None:
    FakeDDGS.outcomes = [DDGSException("DNSError: error resolving DNS")]
    result = invoke(runner, "web", "python")
    assert result.exit_code == 1
    assert error_line(result) == "Error: web search failed: cannot reach the network"


def test_fetch_prints_markdown(runner: CliRunner, server: Server, allow_local: None) -> None:
    result = invoke(runner, "fetch", server.url("/a"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# How to build a campfire\nSource: ")
    assert "dry tinder" in result.stdout


def test_fetch_json(runner: CliRunner, server: Server, allow_local: None) -> None:
    data = json.loads(invoke(runner, "fetch", server.url("/a"), "--json").stdout)
    assert {"url", "final_url", "title", "content_type", "text"} <= set(data)
    assert data["content_type"] == "text/html" and data["final_url"] == server.url("/a")
    small = json.loads(
        invoke(runner, "fetch", server.url("/big"), "--json", "--max-bytes", "1024").stdout
    )
    assert small["truncated"] is True and small["bytes_read"] == 1024


def test_fetch_refusals_are_one_line(runner: CliRunner, server: Server) -> None:
    refused = invoke(runner, "fetch", server.url("/a"))
    assert refused.exit_code == 1
    assert error_line(refused).startswith("Error: refused 127.0.0.1: a loopback address")
    assert server.requests == []
    assert "only http and https" in error_line(invoke(runner, "fetch", "file:///etc/passwd"))


def test_fetch_content_type_error(runner: CliRunner, server: Server, allow_local: None) -> None:
    result = invoke(runner, "fetch", server.url("/pdf"))
    assert result.exit_code == 1 and "application/pdf" in error_line(result)


def test_help_texts() -> None:
    for command in ("web", "fetch"):
        proc = subprocess.run(
            [sys.executable, "-m", "assistant", command, "--help"],
            capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
        )
        assert proc.returncode == 0, proc.stderr
        assert "--json" in proc.stdout
    assert "Fetch a web page" in proc.stdout
