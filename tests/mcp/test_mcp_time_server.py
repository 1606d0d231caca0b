"""The real stdio server ``mcp-server-time`` (PyPI, works offline) as a child process: its
tools are listed, and a full chat turn calls one — a scripted model asks for the current time
in Paris, the user approves, the result goes back to the model and the step is saved."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.events import StatusEvent, ToolCallEvent, ToolResultEvent
from assistant.mcp.manager import READY, McpManager
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.tool_scripted import ToolScriptedProvider, call

TIME_SERVER = str(Path(sys.executable).with_name("mcp-server-time"))


def time_settings(**extra: Any):
    server = {"command": TIME_SERVER, "args": ["--local-timezone", "UTC"], "timeout": 20}
    return load_settings(mcp={"servers": {"time": server}}, **extra)


@pytest.fixture
def time_manager():
    manager = McpManager.from_settings(time_settings())
    yield manager
    manager.close()


def test_lists_the_time_servers_tools(time_manager: McpManager) -> None:
    time_manager.start()
    assert time_manager.state("time") == READY, time_manager.problems()
    tools = {t.name: t for t in time_manager.tools("time")}
    assert set(tools) == {"get_current_time", "convert_time"}
    assert "timezone" in tools["get_current_time"].input_schema["properties"]


def test_a_chat_turn_calls_a_tool_of_the_time_server(store: Store) -> None:
    provider = ToolScriptedProvider(
        ["Checking.", call("time.get_current_time", timezone="Europe/Paris")],
        ["It is late in Paris."],
    )
    settings = time_settings()
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    asked: list[tuple[str, str, dict[str, Any]]] = []

    def approve(tool: Any, arguments: dict[str, Any]) -> bool:
        asked.append((tool.name, tool.risk.value, arguments))
        return True

    try:
        events = list(orchestrator.run_turn("what time is it in Paris?", approve=approve))
    finally:
        orchestrator.close()
    statuses = [e.text for e in events if isinstance(e, StatusEvent)]
    assert "starting MCP servers: time…" in statuses
    offered = [t.name for t in provider.options[0].tools]
    assert {"time.get_current_time", "time.convert_time"} <= set(offered)
    assert asked == [("time.get_current_time", "unknown", {"timezone": "Europe/Paris"})]
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert calls[0].name == "time.get_current_time"
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert result.ok, result.content
    data = json.loads(result.content)
    assert data["timezone"] == "Europe/Paris" and data["datetime"].endswith(("+01:00", "+02:00"))
    # The model saw the result; the step is stored with the answer.
    assert provider.requests[1][-1]["role"] == "tool"
    assert "Europe/Paris" in provider.requests[1][-1]["content"]
    session = events[-1].session_id
    steps = store.tool_steps(session)
    assert [(s.name, s.ok) for s in steps] == [("time.get_current_time", True)]


def test_a_failed_server_is_one_status_line_and_the_turn_goes_on(store: Store) -> None:
    provider = ToolScriptedProvider(["No tools needed."])
    settings = load_settings(mcp={"servers": {
        "gone": {"command": "no-such-mcp-server-program"},
        "time": {"command": TIME_SERVER},
    }})
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    try:
        events = list(orchestrator.run_turn("hi"))
        again = list(orchestrator.run_turn("hi again", session_id=events[-1].session_id))
    finally:
        orchestrator.close()
    statuses = [e.text for e in events if isinstance(e, StatusEvent)]
    assert (
        "MCP server gone failed: command 'no-such-mcp-server-program' was not found on PATH; "
        "its tools are not offered"
    ) in statuses
    offered = [t.name for t in provider.options[0].tools]
    assert "time.get_current_time" in offered
    assert not any(n.startswith("gone.") for n in offered)
    # Reported once, servers started once.
    assert not [e for e in again if isinstance(e, StatusEvent) and "MCP" in e.text]


def test_tools_off_starts_no_server(store: Store) -> None:
    provider = ToolScriptedProvider(["Plain answer."])
    orchestrator = Orchestrator(time_settings(), store, provider_factory=lambda _s: provider)
    try:
        events = list(orchestrator.run_turn("hi", tools=False))
        assert not [e for e in events if isinstance(e, StatusEvent) and "MCP" in e.text]
        assert orchestrator.tools is not None
        assert orchestrator.tools.loading_note == "starting MCP servers: time…"
    finally:
        orchestrator.close()
