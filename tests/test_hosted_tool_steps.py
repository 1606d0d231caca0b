"""Tool steps sent back to hosted APIs: an assistant message that called tools and the tools'
results, in each API's request shape (OpenAI ``tool_calls`` + role ``tool``; Anthropic
``tool_use`` / ``tool_result`` blocks; Gemini ``functionCall`` / ``functionResponse`` parts),
checked on the request body a local fake (httpx MockTransport) received."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.config import HostedProviderConfig
from providers._hosted import HostedProvider, estimate_tokens
from providers.base import ChatMessage, GenerationOptions, ToolCall, ToolSpec
from providers.router import hosted_provider
from tests.support.fake_apis import Recorder, Sleeps, event_stream
from tests.test_hosted_tool_calls import (
    anthropic_tool_stream,
    gemini_record,
    gemini_stream,
    openai_tool_stream,
)

SECRET = "sk-fake-secret-0123456789"
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-2.5-flash"}
PARIS = ToolCall("call_p", "get_weather", {"city": "Paris"})
OSLO = ToolCall("call_o", "get_weather", {"city": "Oslo"})
CHAT: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Oslo?"},
    {"role": "assistant", "content": "Checking.", "tool_calls": [PARIS, OSLO]},
    {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_p", "name": "get_weather"},
    {"role": "tool", "content": "no network", "tool_call_id": "call_o", "name": "get_weather",
     "is_error": True},
]
TOOLS = GenerationOptions(max_tokens=50, tools=(
    ToolSpec("get_weather", "Weather.", {"type": "object",
                                         "properties": {"city": {"type": "string"}}}),))


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)


def sent(kind: str, body: bytes) -> dict:
    rec = Recorder(event_stream(body))
    cfg = HostedProviderConfig(kind=kind, model=MODELS[kind])
    provider: HostedProvider = hosted_provider("acme", cfg, transport=rec.transport,
                                               sleep=Sleeps())
    list(provider.stream(CHAT, TOOLS, threading.Event()))
    return rec.body()


def test_openai_gets_assistant_tool_calls_and_tool_messages() -> None:
    body = sent("openai", openai_tool_stream(text="It is sunny.", finish="stop"))
    messages = body["messages"]
    assert messages[:2] == [{"role": "system", "content": "Be brief."},
                            {"role": "user", "content": "Weather in Paris and Oslo?"}]
    assistant = messages[2]
    assert assistant["role"] == "assistant" and assistant["content"] == "Checking."
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_p", "call_o"]
    function = assistant["tool_calls"][0]["function"]
    assert assistant["tool_calls"][0]["type"] == "function"
    assert function["name"] == "get_weather"
    assert json.loads(function["arguments"]) == {"city": "Paris"}  # JSON text, as the API wants
    assert messages[3:] == [
        {"role": "tool", "tool_call_id": "call_p", "content": "18 C, sunny"},
        {"role": "tool", "tool_call_id": "call_o", "content": "no network"},
    ]


def test_openai_a_call_without_text_sends_null_content() -> None:
    chat = [CHAT[1], {"role": "assistant", "content": "", "tool_calls": [PARIS]}, CHAT[3]]
    rec = Recorder(event_stream(openai_tool_stream(text="ok", finish="stop")))
    cfg = HostedProviderConfig(kind="openai", model="gpt-4o-mini")
    provider = hosted_provider("acme", cfg, transport=rec.transport, sleep=Sleeps())
    list(provider.stream(chat, TOOLS, threading.Event()))
    assert rec.body()["messages"][1]["content"] is None


def test_anthropic_gets_tool_use_and_tool_result_blocks() -> None:
    body = sent("anthropic", anthropic_tool_stream('{"city": "Paris"}'))
    assert body["system"] == "Be brief."
    turns = body["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[1]["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "call_p", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_o", "name": "get_weather", "input": {"city": "Oslo"}},
    ]
    # Both results in one user turn (roles must alternate), the failed one marked.
    assert turns[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_p", "content": "18 C, sunny"},
        {"type": "tool_result", "tool_use_id": "call_o", "content": "no network",
         "is_error": True},
    ]


def test_anthropic_plain_chats_are_unchanged() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream('{"city": "Paris"}')))
    cfg = HostedProviderConfig(kind="anthropic", model="claude-haiku-4-5")
    provider = hosted_provider("acme", cfg, transport=rec.transport, sleep=Sleeps())
    chat: list[ChatMessage] = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                               {"role": "assistant", "content": "c"}]
    list(provider.stream(chat, GenerationOptions(max_tokens=5), threading.Event()))
    assert rec.body()["messages"] == [{"role": "user", "content": "a\n\nb"},
                                      {"role": "assistant", "content": "c"}]


def test_gemini_gets_function_call_and_function_response_parts() -> None:
    body = sent("gemini", gemini_stream(gemini_record({"text": "Sunny."}, finish="STOP")))
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    contents = body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"] == [
        {"text": "Checking."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"result": "18 C, sunny"}}},
        {"functionResponse": {"name": "get_weather", "response": {"error": "no network"}}},
    ]


def test_token_estimates_count_call_arguments() -> None:
    bare: list[ChatMessage] = [{"role": "assistant", "content": ""}]
    with_call: list[ChatMessage] = [
        {"role": "assistant", "content": "", "tool_calls": [ToolCall("c", "t", {"q": "x" * 70})]}
    ]
    assert estimate_tokens(with_call) >= estimate_tokens(bare) + 20


