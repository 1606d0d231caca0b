"""/api/v1 turns: nobody can approve a network call there, so a fetch the model asks for is
refused (and makes no connection) unless the server was started with the allow setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.conftest import start_server
from tests.support.net_tripwire import tripwire
from tests.support.tool_scripted import ToolScriptedProvider, call


def test_a_fetch_the_model_asks_for_is_refused_in_an_api_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = ToolScriptedProvider(
        [call("fetch_url", url="https://example.org/?q=secret")], ["No page, sorry."])
    background, live, mp = start_server(tmp_path / "home", provider)
    try:
        with tripwire(monkeypatch) as wire, live.client() as http:
            response = http.post("/api/v1/sessions/new/messages",
                                 json={"content": "hello", "stream": False})
        assert response.status_code == 200
        events = response.json()["events"]
        result = next(e for e in events if e["type"] == "tool_result")
        assert not result["ok"] and "--allow-web" in result["content"]
        done = next(e for e in events if e["type"] == "message_done")
        assert done["content"] == "No page, sorry."
        assert wire.attempts == []
    finally:
        background.stop()
        live.store.close()
        mp.undo()


def test_with_the_allow_setting_the_fetch_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[server] allow_web_tools`` (``serve --allow-web``): the call runs — here it reaches
    the tripwire at its first name lookup, which proves it was let through."""
    provider = ToolScriptedProvider(
        [call("fetch_url", url="https://example.org/page")], ["Done."])
    background, live, mp = start_server(tmp_path / "home", provider, allow_web_tools=True)
    try:
        with tripwire(monkeypatch) as wire, live.client() as http:
            response = http.post("/api/v1/sessions/new/messages",
                                 json={"content": "fetch it", "stream": False})
        assert response.status_code == 200
        assert wire.attempts and "example.org" in wire.attempts[0]
    finally:
        background.stop()
        live.store.close()
        mp.undo()
