"""The tool registry: lookup, argument validation, policy, result caps, crashes, timeouts and
plugins loaded from real ``fireside.tools`` entry points."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from assistant.config import Settings, load_settings
from assistant.errors import ToolError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput
from assistant.tools.registry import (
    Registry,
    cap_text,
    default_registry,
    estimate_tokens,
)
from providers.base import ToolCall, ToolSpec


class EchoArgs(BaseModel):
    text: str = Field(description="What to echo.")
    times: int = Field(default=1, ge=1, le=5)


def _echo(args: EchoArgs, _ctx: ToolContext) -> ToolOutput:
    return ToolOutput(" ".join([args.text] * args.times), data={"n": args.times})


def make_tool(name: str = "echo", risk: Risk = Risk.READ, run: Any = _echo, **kw: Any) -> Tool:
    return Tool(name=name, description=f"{name} tool", args=EchoArgs, risk=risk, run=run, **kw)


def call(name: str = "echo", **arguments: Any) -> ToolCall:
    return ToolCall(id="call_1", name=name, arguments=arguments)


@pytest.fixture
def ctx(settings: Settings) -> ToolContext:
    return ToolContext(settings=settings)


@pytest.fixture
def registry(settings: Settings) -> Registry:
    reg = Registry(settings)
    reg.register(make_tool())
    return reg


def with_permissions(**perms: str) -> Settings:
    return load_settings(tools={"permissions": perms})


# -- lookup and specs -------------------------------------------------------------------


def test_specs_offer_available_tools_with_schema(registry: Registry, ctx: ToolContext) -> None:
    registry.register(make_tool("hidden", available=lambda _c: False))
    specs = registry.specs(ctx)
    assert [s.name for s in specs] == ["echo"]
    assert isinstance(specs[0], ToolSpec)
    assert specs[0].parameters["properties"]["text"]["type"] == "string"
    assert specs[0].parameters["required"] == ["text"]
    assert "title" not in specs[0].parameters
    assert registry.get("hidden") is not None and registry.get("nope") is None


def test_duplicate_and_bad_names_are_refused(registry: Registry) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register(make_tool())
    with pytest.raises(ValueError, match="identifier"):
        registry.register(make_tool("bad name"))


def test_run_ok_result(registry: Registry, ctx: ToolContext) -> None:
    event = registry.run(call(text="hi", times=2), ctx, step=3)
    assert event.ok and event.content == "hi hi" and not event.truncated
    assert event.call_id == "call_1" and event.name == "echo" and event.step == 3
    assert event.duration_ms >= 0


def test_unknown_tool_names_the_available_ones(registry: Registry, ctx: ToolContext) -> None:
    registry.register(make_tool("other"))
    event = registry.run(call("search_the_web", text="x"), ctx)
    assert not event.ok
    assert "unknown tool 'search_the_web'" in event.content
    assert "echo, other" in event.content


def test_unavailable_tool_is_not_run(registry: Registry, ctx: ToolContext) -> None:
    ran = []
    registry.register(
        make_tool("code", run=lambda a, c: ran.append(1), available=lambda _c: False)
    )
    event = registry.run(call("code", text="x"), ctx)
    assert not event.ok and "not available" in event.content and "echo" in event.content
    assert ran == []


def test_invalid_arguments_tell_the_model_what_to_send(
    registry: Registry, ctx: ToolContext
) -> None:
    event = registry.run(call(times="many"), ctx)
    assert not event.ok
    assert event.content.startswith("invalid arguments for echo:")
    assert "text: Field required" in event.content
    assert "times:" in event.content
    assert "text: string" in event.content and "times?: integer" in event.content
    assert "\n" not in event.content


# -- policy -----------------------------------------------------------------------------


def test_read_tools_run_without_asking_and_network_tools_ask(ctx: ToolContext) -> None:
    reg = Registry(ctx.settings)
    reg.register(make_tool("look", risk=Risk.READ))
    reg.register(make_tool("net", risk=Risk.NETWORK))
    asked: list[str] = []

    def approve(tool: Tool, _args: dict[str, Any]) -> bool:
        asked.append(tool.name)
        return True

    assert reg.run(call("look", text="a"), ctx, approve=approve).ok and asked == []
    assert reg.run(call("net", text="a"), ctx, approve=approve).ok and asked == ["net"]


def test_deny_hides_and_refuses() -> None:
    settings = with_permissions(echo="deny")
    reg = Registry(settings)
    reg.register(make_tool())
    reg.register(make_tool("other"))
    ctx = ToolContext(settings=settings)
    assert [t.name for t in reg.tools(ctx)] == ["other"]
    event = reg.run(call(text="x"), ctx, approve=lambda t, a: True)
    assert not event.ok and "turned off" in event.content


def test_ask_calls_the_approver_with_validated_arguments() -> None:
    settings = with_permissions(echo="ask")
    reg = Registry(settings)
    reg.register(make_tool())
    ctx = ToolContext(settings=settings)
    seen: list[tuple[str, dict[str, Any]]] = []

    def approve(tool: Tool, args: dict[str, Any]) -> bool:
        seen.append((tool.name, args))
        return len(seen) == 1

    assert reg.run(call(text="x"), ctx, approve=approve).ok
    declined = reg.run(call(text="y"), ctx, approve=approve)
    assert not declined.ok and "declined" in declined.content
    assert seen == [("echo", {"text": "x", "times": 1}), ("echo", {"text": "y", "times": 1})]
    no_one = reg.run(call(text="z"), ctx)
    assert not no_one.ok and "approval" in no_one.content


@pytest.mark.parametrize("risk", [Risk.WRITE, Risk.EXECUTE])
def test_write_and_execute_always_ask_even_when_allowed(risk: Risk) -> None:
    settings = with_permissions(danger="allow")
    reg = Registry(settings)
    ran: list[str] = []
    reg.register(make_tool("danger", risk=risk, run=lambda a, c: ran.append(a.text) or "ran"))
    ctx = ToolContext(settings=settings)
    assert reg.permission(reg.get("danger")) == "ask"  # type: ignore[arg-type]
    refused = reg.run(call("danger", text="rm"), ctx)
    assert not refused.ok and ran == []
    declined = reg.run(call("danger", text="rm"), ctx, approve=lambda t, a: False)
    assert not declined.ok and ran == []
    approved = reg.run(call("danger", text="ok"), ctx, approve=lambda t, a: True)
    assert approved.ok and ran == ["ok"]


def test_deny_wins_for_risky_tools_too() -> None:
    settings = with_permissions(danger="deny")
    reg = Registry(settings)
    reg.register(make_tool("danger", risk=Risk.EXECUTE))
    ctx = ToolContext(settings=settings)
    assert reg.permission(reg.get("danger")) == "deny"  # type: ignore[arg-type]
    assert not reg.run(call("danger", text="x"), ctx, approve=lambda t, a: True).ok


def test_a_crashing_approver_refuses(registry: Registry) -> None:
    settings = with_permissions(echo="ask")
    reg = Registry(settings)
    reg.register(make_tool())

    def approve(_t: Tool, _a: dict[str, Any]) -> bool:
        raise RuntimeError("dialog closed")

    event = reg.run(call(text="x"), ToolContext(settings=settings), approve=approve)
    assert not event.ok and "not approved" in event.content


# -- errors, crashes, time --------------------------------------------------------------


def test_tool_error_becomes_its_message(registry: Registry, ctx: ToolContext) -> None:
    def fail(_a: EchoArgs, _c: ToolContext) -> ToolOutput:
        raise ToolError("web search failed: cannot reach the network")

    registry.register(make_tool("failing", run=fail))
    event = registry.run(call("failing", text="x"), ctx)
    assert not event.ok and event.content == "web search failed: cannot reach the network"


def test_unexpected_exception_is_one_line_and_logged(
    registry: Registry, ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(_a: EchoArgs, _c: ToolContext) -> ToolOutput:
        raise KeyError("line one\nline two")

    registry.register(make_tool("crashy", run=crash))
    with caplog.at_level(logging.WARNING, logger="assistant.tools.registry"):
        event = registry.run(call("crashy", text="x"), ctx)
    assert not event.ok
    assert event.content.startswith("crashy failed: KeyError")
    assert "\n" not in event.content
    assert any("crashy" in r.getMessage() for r in caplog.records)


def test_cancel_stops_waiting_for_a_stuck_tool(registry: Registry, ctx: ToolContext) -> None:
    release = threading.Event()
    registry.register(make_tool("stuck", run=lambda a, c: release.wait(10) and "late"))
    threading.Timer(0.2, ctx.cancel.set).start()
    started = time.monotonic()
    event = registry.run(call("stuck", text="x"), ctx)
    release.set()
    assert not event.ok and "cancelled" in event.content
    assert time.monotonic() - started < 5


def test_deadline_stops_waiting_for_a_stuck_tool(registry: Registry, settings: Settings) -> None:
    release = threading.Event()
    registry.register(make_tool("stuck", run=lambda a, c: release.wait(10) and "late"))
    ctx = ToolContext(settings=settings, deadline=time.monotonic() + 0.1)
    event = registry.run(call("stuck", text="x"), ctx)
    release.set()
    assert not event.ok and "took too long" in event.content
    spent = ToolContext(settings=settings, deadline=time.monotonic() - 1)
    assert "no time left" in registry.run(call(text="x"), spent).content


def test_tool_sees_the_context(registry: Registry, settings: Settings, tmp_path: Path) -> None:
    seen: list[Any] = []
    registry.register(
        make_tool("ctxtool", run=lambda a, c: seen.append(c.project_root) or "ok")
    )
    registry.run(call("ctxtool", text="x"), ToolContext(settings=settings, project_root=tmp_path))
    assert seen == [tmp_path]


# -- caps -------------------------------------------------------------------------------


def test_cap_text_keeps_short_text() -> None:
    assert cap_text("short", 100) == ("short", False)


def test_cap_text_cuts_with_marker_within_budget() -> None:
    text = "\n".join(f"line {i} " + "x" * 40 for i in range(500))
    capped, cut = cap_text(text, 200)
    assert cut
    assert "[… truncated: the result had about" in capped
    assert estimate_tokens(capped) <= 200
    assert capped.startswith("line 0 ")


def test_cap_text_with_a_real_counter() -> None:
    words = " ".join(f"w{i}" for i in range(1000))
    count = lambda s: len(s.split())  # noqa: E731
    capped, cut = cap_text(words, 100, count)
    assert cut and count(capped) <= 100


def test_results_are_capped_to_the_configured_tokens() -> None:
    settings = load_settings(tools={"result_tokens": 64})
    reg = Registry(settings)
    reg.register(make_tool("big", run=lambda a, c: "y" * 10_000))
    event = reg.run(call("big", text="x"), ToolContext(settings=settings))
    assert event.ok and event.truncated
    assert estimate_tokens(event.content) <= 64 and "truncated" in event.content
    counted = reg.run(
        call("big", text="x"), ToolContext(settings=settings, count_tokens=lambda s: len(s))
    )
    assert len(counted.content) <= 64


def test_run_tool_directly_validates_and_raises(registry: Registry, ctx: ToolContext) -> None:
    assert registry.run_tool("echo", {"text": "a", "times": 3}, ctx).data == {"n": 3}
    with pytest.raises(ToolError, match="invalid arguments"):
        registry.run_tool("echo", {}, ctx)
    with pytest.raises(ToolError, match="unknown tool"):
        registry.run_tool("nope", {}, ctx)


# -- plugins through real entry points ---------------------------------------------------

PLUGIN_SOURCE = '''
from pydantic import BaseModel
from assistant.tools.base import Risk, Tool, ToolOutput

class Args(BaseModel):
    word: str

def _shout(args, ctx):
    return ToolOutput(args.word.upper())

SHOUT = Tool("shout", "Shout a word.", Args, Risk.READ, _shout)
PAIR = [
    Tool("first", "One.", Args, Risk.READ, _shout),
    Tool("second", "Two.", Args, Risk.READ, _shout),
]

def register(registry):
    registry.register(Tool("registered", "Via register().", Args, Risk.READ, _shout))

def broken(registry):
    raise RuntimeError("plugin exploded")

NOT_A_TOOL = 42
'''


@pytest.fixture
def plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny installed distribution (a module and its dist-info) on sys.path, declaring
    ``fireside.tools`` entry points of every kind, good and broken."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fs_demo_plugin.py").write_text(PLUGIN_SOURCE)
    info = site / "fs_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fs-demo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[fireside.tools]\n"
        "shout = fs_demo_plugin:SHOUT\n"
        "pair = fs_demo_plugin:PAIR\n"
        "registered = fs_demo_plugin:register\n"
        "broken = fs_demo_plugin:broken\n"
        "missing = fs_demo_plugin_gone:TOOL\n"
        "notatool = fs_demo_plugin:NOT_A_TOOL\n"
        "clash = fs_demo_plugin:SHOUT\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop("fs_demo_plugin", None)


def test_plugins_from_entry_points(plugin_dist: Path, settings: Settings, ctx: ToolContext) -> None:
    reg = default_registry(settings)
    for name in ("shout", "first", "second", "registered"):
        assert name in reg, name
    assert reg.run(call("shout", word="hey"), ctx).content == "HEY"
    problems = " | ".join(reg.warnings)
    assert "'broken'" in problems and "plugin exploded" in problems
    assert "'missing'" in problems
    assert "'notatool'" in problems
    assert "'clash'" in problems and "already registered" in problems
    assert len(reg.warnings) == 4


def test_registry_without_plugins(plugin_dist: Path, settings: Settings) -> None:
    reg = default_registry(settings, plugins=False)
    assert "shout" not in reg and reg.warnings == []


def test_default_registry_holds_the_builtin_tools(settings: Settings, tmp_path: Path) -> None:
    reg = default_registry(settings, plugins=False)
    assert reg.names() == ["web_search", "fetch_url", "code_search", "read_file"]
    no_project = [t.name for t in reg.tools(ToolContext(settings=settings))]
    assert no_project == ["web_search", "fetch_url"]  # code_search/read_file need a project
    with_project = ToolContext(settings=settings, project_root=tmp_path)
    assert [s.name for s in reg.specs(with_project)] == ["web_search", "fetch_url", "read_file"]
    assert {t.risk for t in reg.tools(with_project)} == {Risk.NETWORK, Risk.READ}


def test_allow_always_covers_read_tools_only() -> None:
    from assistant.errors import ToolDeniedError

    settings = with_permissions(echo="ask", banned="deny")
    reg = Registry(settings)
    reg.register(make_tool())
    reg.register(make_tool("banned"))
    reg.register(make_tool("danger", risk=Risk.WRITE))
    ctx = ToolContext(settings=settings)
    reg.allow_always("echo")
    assert reg.permission(reg.get("echo")) == "allow"  # type: ignore[arg-type]
    assert reg.run(call(text="x"), ctx).ok  # no approver needed any more
    reg.allow_always("banned")
    assert reg.permission(reg.get("banned")) == "deny"  # type: ignore[arg-type]
    with pytest.raises(ToolDeniedError, match="always asks"):
        reg.allow_always("danger")
    assert reg.permission(reg.get("danger")) == "ask"  # type: ignore[arg-type]
    with pytest.raises(ToolError, match="unknown tool"):
        reg.allow_always("nope")


def test_cap_text_never_tokenizes_a_huge_text_whole() -> None:
    seen: list[int] = []

    def count(s: str) -> int:
        seen.append(len(s))
        return len(s.split())

    huge = "word " * 2_000_000  # 10 MB
    capped, cut = cap_text(huge, 100, count)
    assert cut and count(capped) <= 100
    assert max(seen[:-1]) <= 100 * 16
