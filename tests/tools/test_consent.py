"""Consent for calls the model starts: network and unknown-risk tools ask, the three answers
(once, for this session, deny), the config's allow, and approvers for front ends that cannot
ask."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from assistant.config import load_settings
from assistant.errors import ToolDeniedError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput
from assistant.tools.consent import Approval, as_approval, default_decision, web_approver
from assistant.tools.registry import Registry
from providers.base import ToolCall


class UrlArgs(BaseModel):
    url: str


def make(name: str, risk: Risk, ran: list[str]) -> Tool:
    def run(args: UrlArgs, _ctx: ToolContext) -> ToolOutput:
        ran.append(args.url)
        return ToolOutput("page text")

    return Tool(name, f"{name} tool", UrlArgs, risk, run)


def registry(risk: Risk = Risk.NETWORK, **permissions: str) -> tuple[Registry, list[str]]:
    ran: list[str] = []
    reg = Registry(load_settings(tools={"permissions": permissions}))
    reg.register(make("net", risk, ran))
    return reg, ran


def ctx(reg: Registry, session: str | None = "s1") -> ToolContext:
    return ToolContext(settings=reg.settings, session_id=session)


def call(url: str = "https://example.org/?q=secret") -> ToolCall:
    return ToolCall("call_1", "net", {"url": url})


def test_defaults_by_risk() -> None:
    assert default_decision(Risk.READ) == "allow"
    for risk in (Risk.NETWORK, Risk.WRITE, Risk.EXECUTE, Risk.UNKNOWN):
        assert default_decision(risk) == "ask"


@pytest.mark.parametrize("risk", [Risk.NETWORK, Risk.UNKNOWN])
def test_without_an_approver_the_call_is_refused_and_never_runs(risk: Risk) -> None:
    reg, ran = registry(risk)
    event = reg.run(call(), ctx(reg))
    assert not event.ok and "approval" in event.content and ran == []


def test_the_approver_sees_the_exact_arguments_including_the_whole_url() -> None:
    reg, ran = registry()
    seen: list[dict[str, Any]] = []
    url = "https://example.org/collect?q=" + "x" * 300

    def approve(_tool: Tool, arguments: dict[str, Any]) -> Approval:
        seen.append(arguments)
        return Approval.ONCE

    assert reg.run(call(url), ctx(reg), approve=approve).ok
    assert seen == [{"url": url}] and ran == [url]


def test_deny_goes_back_as_a_refusal() -> None:
    reg, ran = registry()
    event = reg.run(call(), ctx(reg), approve=lambda t, a: Approval.DENY)
    assert not event.ok and "declined" in event.content and ran == []


def test_once_asks_again_next_time_and_session_covers_only_that_chat() -> None:
    reg, ran = registry()
    answers = [Approval.ONCE, Approval.SESSION]
    asked: list[str] = []

    def approve(tool: Tool, _a: dict[str, Any]) -> Approval:
        asked.append(tool.name)
        return answers.pop(0) if answers else Approval.DENY

    assert reg.run(call("https://a.example/"), ctx(reg), approve=approve).ok
    assert reg.run(call("https://b.example/"), ctx(reg), approve=approve).ok
    assert len(asked) == 2
    # Allowed for this chat: no more questions here …
    assert reg.run(call("https://c.example/"), ctx(reg), approve=approve).ok
    assert len(asked) == 2
    # … but another chat asks again (and is refused by this approver).
    other = reg.run(call("https://d.example/"), ctx(reg, "s2"), approve=approve)
    assert not other.ok and len(asked) == 3
    assert ran == ["https://a.example/", "https://b.example/", "https://c.example/"]


@pytest.mark.parametrize("risk", [Risk.WRITE, Risk.EXECUTE])
def test_session_answers_never_cover_write_or_execute(risk: Risk) -> None:
    reg, ran = registry(risk)
    asked: list[str] = []

    def approve(tool: Tool, _a: dict[str, Any]) -> Approval:
        asked.append(tool.name)
        return Approval.SESSION

    reg.run(call(), ctx(reg), approve=approve)
    reg.run(call("https://other.example/"), ctx(reg), approve=approve)
    assert len(asked) == 2 and len(ran) == 2
    with pytest.raises(ToolDeniedError):
        reg.allow_for_session("net", "s1")


def test_config_allow_runs_a_network_tool_without_asking() -> None:
    reg, ran = registry(net="allow")
    assert reg.run(call(), ctx(reg)).ok and len(ran) == 1


def test_config_deny_refuses_even_with_approval() -> None:
    reg, ran = registry(net="deny")
    assert not reg.run(call(), ctx(reg), approve=lambda t, a: True).ok and ran == []


def test_an_approver_refusal_message_reaches_the_model() -> None:
    reg, ran = registry()
    approve = web_approver(False, "there is no terminal", "pass --allow-web")
    event = reg.run(call(), ctx(reg), approve=approve)
    assert not event.ok and "--allow-web" in event.content and ran == []


def test_web_approver_allows_network_tools_only() -> None:
    approve = web_approver(True, "nobody is here")
    ran: list[str] = []
    assert approve(make("net", Risk.NETWORK, ran), {}) is Approval.ONCE
    for risk in (Risk.WRITE, Risk.EXECUTE, Risk.UNKNOWN):
        with pytest.raises(ToolDeniedError):
            approve(make("x", risk, ran), {})


def test_answers_as_approvals() -> None:
    assert as_approval(True) is Approval.ONCE
    assert as_approval(False) is Approval.DENY
    assert as_approval(None) is Approval.DENY
    assert as_approval("session") is Approval.SESSION
    assert as_approval("whatever") is Approval.DENY


def test_a_failed_call_reads_as_one_line() -> None:
    from assistant.tool_render import failure_line

    assert failure_line("read_file", "no file docs/setup.md in the project") == (
        "read_file: no file docs/setup.md in the project")
    assert failure_line("fetch_url", "fetch_url needs the user's approval\nmore") == (
        "fetch_url: needs the user's approval")
