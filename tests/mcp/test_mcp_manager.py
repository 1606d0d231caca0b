"""The MCP client against real servers: the SDK's in-process server (tool with a schema, error
result, image content, a slow tool past its deadline) and stdio child processes (one that dies
mid-call, one that never answers, the environment a child gets, ending it on close)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ToolError
from assistant.mcp.manager import FAILED, READY, McpManager
from assistant.mcp.tools import add_tools
from assistant.tools.base import Risk, ToolContext
from assistant.tools.registry import Registry
from providers.base import ToolCall
from tests.support.mcp_servers import dying_spec, in_process, stdio_spec


@pytest.fixture
def manager():
    managers: list[McpManager] = []

    def make(*specs, start_timeout: float = 20.0) -> McpManager:
        m = McpManager(specs, start_timeout=start_timeout)
        managers.append(m)
        return m

    yield make
    for m in managers:
        m.close()


def registry_with(manager: McpManager) -> Registry:
    registry = Registry(load_settings())
    add_tools(registry, manager)
    return registry


def run(registry: Registry, name: str, approve=lambda _t, _a: True, **arguments):
    ctx = ToolContext(settings=registry.settings, deadline=time.monotonic() + 30)
    return registry.run(ToolCall("c1", name, arguments), ctx, approve)


def test_tools_join_the_registry_with_their_schema(manager) -> None:
    m = manager(in_process())
    m.start()
    registry = registry_with(m)
    assert {"demo.add", "demo.refuse", "demo.slow", "demo.picture"} <= set(registry.names())
    tool = registry.get("demo.add")
    assert tool is not None and tool.risk is Risk.UNKNOWN
    schema = tool.json_schema()
    assert schema["required"] == ["a", "b"]
    assert schema["properties"]["a"]["type"] == "integer"
    assert tool.description == "Adds two whole numbers."
    spec = {s.name: s for s in registry.specs(ToolContext(settings=registry.settings))}
    assert spec["demo.add"].parameters["properties"]["b"]["type"] == "integer"

    result = run(registry, "demo.add", a=2, b=40)
    assert (result.ok, result.content) == (True, "42")


def test_unknown_risk_asks_first_and_a_refusal_runs_nothing(manager) -> None:
    m = manager(in_process())
    m.start()
    registry = registry_with(m)
    asked = []

    def decline(tool, arguments):
        asked.append((tool.name, arguments))
        return False

    result = run(registry, "demo.add", decline, a=1, b=2)
    assert not result.ok and "declined" in result.content
    assert asked == [("demo.add", {"a": 1, "b": 2})]
    # Nobody to ask: refused.
    ctx = ToolContext(settings=registry.settings)
    assert not registry.run(ToolCall("c2", "demo.add", {"a": 1, "b": 2}), ctx, None).ok


def test_per_tool_permissions_work_as_for_built_in_tools(manager) -> None:
    m = manager(in_process())
    m.start()
    settings = load_settings(tools={"permissions": {"demo.add": "allow", "demo.slow": "deny"}})
    registry = Registry(settings)
    add_tools(registry, m)
    ctx = ToolContext(settings=settings, deadline=time.monotonic() + 10)
    assert registry.run(ToolCall("c", "demo.add", {"a": 1, "b": 1}), ctx, None).content == "2"
    denied = registry.run(ToolCall("c", "demo.slow", {"seconds": 0}), ctx, lambda *_: True)
    assert not denied.ok and "turned off" in denied.content
    assert "demo.slow" not in [t.name for t in registry.tools(ctx)]
    # "always allow" from the approval dialog covers an unknown-risk tool.
    registry.allow_always("demo.refuse")
    assert registry.permission(registry.get("demo.refuse")) == "allow"


def test_bad_arguments_are_checked_against_the_schema(manager) -> None:
    m = manager(in_process())
    m.start()
    result = run(registry_with(m), "demo.add", a="two", b=2)
    assert not result.ok
    assert result.content.startswith("invalid arguments for demo.add")
    assert "a" in result.content and "integer" in result.content


def test_an_error_result_goes_back_as_an_error(manager) -> None:
    m = manager(in_process())
    m.start()
    result = run(registry_with(m), "demo.refuse", reason="not today")
    assert not result.ok
    assert "refused: not today" in result.content


def test_image_content_becomes_a_one_line_note(manager) -> None:
    m = manager(in_process())
    m.start()
    result = run(registry_with(m), "demo.picture")
    assert result.ok
    assert result.content.startswith("[image: image/png, 108 bytes")
    assert "\n" not in result.content


def test_a_slow_tool_is_stopped_at_its_deadline_and_the_server_keeps_working(manager) -> None:
    m = manager(in_process(timeout=0.5))
    m.start()
    registry = registry_with(m)
    started = time.monotonic()
    result = run(registry, "demo.slow", seconds=30)
    took = time.monotonic() - started
    assert not result.ok
    assert "demo.slow did not answer within 0.5 s" in result.content
    assert took < 5
    assert m.state("demo") == READY
    assert run(registry, "demo.add", a=1, b=2).content == "3"


def test_the_turns_remaining_tool_time_bounds_a_call(manager) -> None:
    m = manager(in_process(timeout=30))
    m.start()
    registry = registry_with(m)
    ctx = ToolContext(settings=registry.settings, deadline=time.monotonic() + 0.4)
    started = time.monotonic()
    result = registry.run(ToolCall("c", "demo.slow", {"seconds": 30}), ctx, lambda *_: True)
    assert not result.ok and time.monotonic() - started < 5


def test_a_server_that_dies_mid_call_is_reported_and_the_others_keep_working(manager) -> None:
    m = manager(dying_spec(), in_process())
    m.start()
    assert m.state("dying") == READY and m.state("demo") == READY
    registry = registry_with(m)
    assert run(registry, "dying.ping").content == "pong"
    result = run(registry, "dying.die")
    assert not result.ok
    assert "MCP server dying stopped during the call" in result.content
    assert m.state("dying") == FAILED
    assert m.problems() == [
        f"MCP server dying failed: {m.info()[0].error}; its tools are not offered"
    ]
    # Its tools are no longer offered; the other server still answers.
    names = [t.name for t in registry.tools(ToolContext(settings=registry.settings))]
    assert "dying.ping" not in names and "demo.add" in names
    assert run(registry, "demo.add", a=2, b=2).content == "4"
    again = run(registry, "dying.ping")
    assert not again.ok and "not available" in again.content


def test_a_server_that_never_answers_fails_in_one_line_and_is_ended(manager) -> None:
    hung = stdio_spec("hung", sys.executable, "-c", "import time; time.sleep(120)")
    m = manager(hung, in_process(), start_timeout=1.5)
    started = time.monotonic()
    m.start()
    assert time.monotonic() - started < 5
    assert m.state("hung") == FAILED and m.state("demo") == READY
    assert m.problems() == [
        "MCP server hung failed: did not start within 1.5 s; its tools are not offered"
    ]
    pid = m._servers["hung"].pidfile.read_text()  # noqa: SLF001 - the launcher wrote it
    m.close()
    assert not _alive(int(pid))


def test_a_missing_program_fails_in_one_line(manager) -> None:
    m = manager(stdio_spec("nope", "no-such-program-for-fireside"), in_process())
    m.start()
    assert m.problems() == [
        "MCP server nope failed: command 'no-such-program-for-fireside' was not found on "
        "PATH; its tools are not offered"
    ]
    assert m.state("demo") == READY


def test_the_child_gets_only_the_named_environment(manager, monkeypatch) -> None:
    monkeypatch.setenv("FIRESIDE_TEST_SECRET_OUTSIDE", "do-not-pass")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    spec = dying_spec("envcheck")
    m = manager(spec)
    m.start()
    names = set(run(registry_with(m), "envcheck.environment").content.split(","))
    # LC_CTYPE: Python's own locale coercion (PEP 538) inside the child.
    assert names - {"LC_CTYPE"} == {"PATH", "HOME"}


def test_close_ends_every_server_process(manager) -> None:
    m = manager(dying_spec("one"), dying_spec("two"))
    m.start()
    pids = [m._servers[n].pid for n in ("one", "two")]  # noqa: SLF001
    assert all(pids) and all(_alive(p) for p in pids)
    m.close()
    assert not any(_alive(p) for p in pids)
    with pytest.raises(ToolError):
        m.call("one", "ping", {}, 1.0)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# A server that never answers and ignores its input closing: only a signal ends it.
_APP = """
import sys, threading, time
from tests.support.mcp_servers import stdio_spec
from assistant.mcp.manager import McpManager
spec = stdio_spec("deaf", sys.executable, "-c", "import time; time.sleep(120)")
m = McpManager([spec], start_timeout=60)
threading.Thread(target=m.start, daemon=True).start()
while m._servers["deaf"].pidfile is None or not m._servers["deaf"].pidfile.exists():
    time.sleep(0.02)
time.sleep(0.2)
print(m._servers["deaf"].pidfile.read_text(), flush=True)
if sys.argv[1] == "crash":
    raise RuntimeError("the app crashed")
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["crash", "kill -9"])
def test_servers_end_when_the_app_crashes_or_is_killed(how: str, tmp_path: Path) -> None:
    import signal
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    app = subprocess.Popen([sys.executable, "-c", _APP, how.split()[0]], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        server_pid = int(app.stdout.readline())
        assert _alive(server_pid)
        if how == "kill -9":
            app.send_signal(signal.SIGKILL)
        app.wait(timeout=20)
        deadline = time.monotonic() + 5
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server_pid)
    finally:
        app.kill()
        app.wait()
