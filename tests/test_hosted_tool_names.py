"""MCP tools are ``server.tool`` in the registry; hosted APIs accept only
``^[a-zA-Z0-9_-]{1,64}$`` as a function name. Against local fakes of each API (httpx
MockTransport): the tool, the earlier call and its result go out under a valid name, and the
model's call (made with the name the fake read from the request) comes back under the
registry's name."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import httpx
import pytest

from assistant.config import HostedProviderConfig
from providers.base import ChatMessage, Finish, GenerationOptions, ToolCall, ToolSpec
from providers.router import hosted_provider
from providers.tool_names import MAX_CHARS, ToolNames, encode
from tests.support.fake_apis import Recorder, Sleeps, event_stream, json_response, sse

VALID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # OpenAI's and Anthropic's rule
GEMINI = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$")
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-2.5-flash"}
TIME = ToolSpec("time.get_current_time", "The time in a timezone.",
                {"type": "object", "properties": {"timezone": {"type": "string"}}})
PLAIN = ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {}})
OPTIONS = GenerationOptions(max_tokens=50, tools=(TIME, PLAIN))
EARLIER = ToolCall("call_0", "time.get_current_time", {"timezone": "UTC"})
MESSAGES: list[ChatMessage] = [
    {"role": "user", "content": "What time is it in UTC, and in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [EARLIER]},
    {"role": "tool", "tool_call_id": "call_0", "name": "time.get_current_time",
     "content": '{"datetime": "2026-01-01T12:00:00Z"}'},
]


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", "sk-fake-0123456789")


def _sent_tool_names(kind: str, body: dict[str, Any]) -> list[str]:
    if kind == "openai":
        return [t["function"]["name"] for t in body["tools"]]
    if kind == "anthropic":
        return [t["name"] for t in body["tools"]]
    return [d["name"] for d in body["tools"][0]["functionDeclarations"]]


def _history_names(kind: str, body: dict[str, Any]) -> list[str]:
    """The tool names in the earlier call and its result, as sent."""
    if kind == "openai":
        call = next(m for m in body["messages"] if m.get("tool_calls"))
        return [c["function"]["name"] for c in call["tool_calls"]]
    parts = [p for turn in body.get("messages") or body.get("contents") for p in
             (turn.get("content") if kind == "anthropic" else turn.get("parts")) or []
             if isinstance(p, dict)]
    if kind == "anthropic":
        return [p["name"] for p in parts if p.get("type") == "tool_use"]
    return ([p["functionCall"]["name"] for p in parts if "functionCall" in p]
            + [p["functionResponse"]["name"] for p in parts if "functionResponse" in p])


def _answer(kind: str, name: str, stream: bool) -> httpx.Response:
    """The model calls the tool ``name`` (the wire name it was offered)."""
    args = {"timezone": "Europe/Paris"}
    if kind == "openai":
        if not stream:
            return json_response(200, {"id": "c", "object": "chat.completion", "choices": [{
                "index": 0, "finish_reason": "tool_calls", "message": {
                    "role": "assistant", "content": None, "tool_calls": [{
                        "id": "call_1", "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)}}]}}]})
        chunk = {"id": "c", "object": "chat.completion.chunk", "choices": [{
            "index": 0, "finish_reason": None, "delta": {"tool_calls": [{
                "index": 0, "id": "call_1", "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)}}]}}]}
        done = {"id": "c", "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
        return event_stream(sse((None, chunk), (None, done), (None, "[DONE]")))
    if kind == "anthropic":
        block = {"type": "tool_use", "id": "call_1", "name": name, "input": args}
        if not stream:
            return json_response(200, {"id": "m", "type": "message", "role": "assistant",
                                       "content": [block], "stop_reason": "tool_use",
                                       "usage": {"input_tokens": 9, "output_tokens": 9}})
        return event_stream(sse(
            ("message_start", {"type": "message_start", "message": {
                "id": "m", "type": "message", "role": "assistant", "content": [],
                "usage": {"input_tokens": 9, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {**block, "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(args)}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                               "usage": {"output_tokens": 9}}),
            ("message_stop", {"type": "message_stop"}),
        ))
    record = {"candidates": [{"index": 0, "finishReason": "STOP", "content": {
        "role": "model", "parts": [{"functionCall": {"id": "call_1", "name": name,
                                                     "args": args}}]}}]}
    return json_response(200, record) if not stream else event_stream(sse((None, record)))


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_an_mcp_tool_goes_out_under_a_valid_name_and_its_call_comes_back(
    kind: str, stream: bool
) -> None:
    sent: dict[str, Any] = {}

    def reply(request: httpx.Request) -> httpx.Response:
        sent.update(json.loads(request.content))
        wire = _sent_tool_names(kind, sent)[0]  # the name the API saw for the MCP tool
        return _answer(kind, wire, stream)

    rec = Recorder(reply)
    cfg = HostedProviderConfig(kind=kind, model=MODELS[kind], stream=stream)
    provider = hosted_provider("acme", cfg, transport=rec.transport, sleep=Sleeps())
    items = list(provider.stream(MESSAGES, OPTIONS, threading.Event()))

    names = _sent_tool_names(kind, sent)
    assert names == ["time__get_current_time", "read_file"]
    assert all(VALID.match(n) and GEMINI.match(n) for n in names)
    assert set(_history_names(kind, sent)) == {"time__get_current_time"}
    assert "time.get_current_time" not in json.dumps(sent)
    calls = [i for i in items if isinstance(i, ToolCall)]
    assert calls == [ToolCall("call_1", "time.get_current_time", {"timezone": "Europe/Paris"})]
    assert isinstance(items[-1], Finish) and items[-1].reason == "tool_calls"
    # The caller's messages and options are left as they were.
    assert MESSAGES[1]["tool_calls"] == [EARLIER] and OPTIONS.tools == (TIME, PLAIN)


def test_a_name_the_model_made_up_comes_back_unchanged() -> None:
    rec = Recorder(_answer("openai", "no_such_tool", stream=False))
    cfg = HostedProviderConfig(kind="openai", model=MODELS["openai"], stream=False)
    provider = hosted_provider("acme", cfg, transport=rec.transport, sleep=Sleeps())
    items = list(provider.stream(MESSAGES[:1], OPTIONS, threading.Event()))
    assert [i.name for i in items if isinstance(i, ToolCall)] == ["no_such_tool"]


# -- the mapping ----------------------------------------------------------------------------


def test_valid_names_keep_their_spelling_and_dots_become_double_underscores() -> None:
    names = ToolNames(["get_time", "web-search", "time.get_current_time", "fs.read.file"])
    assert names.unchanged is False
    assert [names.wire(n) for n in ("get_time", "web-search")] == ["get_time", "web-search"]
    assert names.wire("time.get_current_time") == "time__get_current_time"
    assert names.wire("fs.read.file") == "fs__read__file"
    assert names.registry("fs__read__file") == "fs.read.file"
    assert ToolNames(["get_time", "read_file"]).unchanged


def test_long_odd_and_colliding_names_are_valid_distinct_and_reversible() -> None:
    long_a = "server." + "a" * 70
    long_b = "server." + "a" * 69 + "b"
    odd = ["9lives.tool", "-x", "srv.tool name/with:chars", "é.t"]
    clash = ["a.b", "a__b"]  # a.b would encode to a__b, which is taken by a valid name
    registry = [long_a, long_b, *odd, *clash]
    names = ToolNames(registry)
    wires = [names.wire(n) for n in registry]
    assert len(set(wires)) == len(wires)
    for name, wire in zip(registry, wires, strict=True):
        assert VALID.match(wire) and GEMINI.match(wire), wire
        assert len(wire) <= MAX_CHARS
        assert names.registry(wire) == name
    assert names.wire("a__b") == "a__b" and names.wire("a.b") != "a__b"
    # The same names in another order: the same valid name keeps its spelling.
    assert ToolNames(list(reversed(registry))).wire("a__b") == "a__b"


def test_encode_is_stable_and_only_touches_invalid_names() -> None:
    assert encode("get_time") == "get_time"
    assert encode("time.get_current_time") == encode("time.get_current_time")
    assert len(encode("s." + "x" * 200)) == MAX_CHARS
