"""Tool calls from the hosted providers, against local fakes (httpx MockTransport) replaying the
vendors' documented shapes: the tools sent in each API's request shape, calls parsed from
streamed fragments and from whole responses, bad arguments as a clear error, and the
orchestrator's answer to a tool call while no tools were offered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.config import HostedProviderConfig
from assistant.errors import HostedError
from assistant.events import DoneEvent, ErrorEvent, MessageDoneEvent, TokenEvent
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers._hosted import HostedProvider
from providers.base import ChatMessage, Finish, GenerationOptions, ToolCall, ToolSpec
from providers.router import hosted_provider
from tests.support.fake_apis import Recorder, Sleeps, event_stream, json_response, sse
from tests.support.scripted import ScriptedProvider

SECRET = "sk-fake-secret-0123456789"
MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Oslo?"},
]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-2.5-flash"}
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city"],
}
WEATHER = ToolSpec("get_weather", "Current weather for a city.", WEATHER_SCHEMA)
TIME = ToolSpec("get_time", "The time now.", {"type": "object", "properties": {}})
TOOLS = GenerationOptions(max_tokens=200, tools=(WEATHER, TIME))


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)


def make(kind: str, recorder: Recorder, **config: Any) -> HostedProvider:
    cfg = HostedProviderConfig(kind=kind, model=MODELS[kind], **config)
    return hosted_provider("acme", cfg, transport=recorder.transport, sleep=Sleeps())


def run(
    provider: HostedProvider, options: GenerationOptions = TOOLS
) -> tuple[list[str | ToolCall | Finish], HostedError | None]:
    items: list[str | ToolCall | Finish] = []
    try:
        for item in provider.stream(MESSAGES, options, threading.Event()):
            items.append(item)
    except HostedError as exc:
        assert SECRET not in str(exc)
        return items, exc
    return items, None


def calls(items: list[Any]) -> list[ToolCall]:
    return [i for i in items if isinstance(i, ToolCall)]


def text(items: list[Any]) -> str:
    return "".join(i for i in items if isinstance(i, str))


def assert_clear(error: HostedError | None, *words: str) -> None:
    assert error is not None, "expected a HostedError"
    message = str(error)
    assert "\n" not in message and len(message) < 300
    for word in words:
        assert word in message


# -- OpenAI-compatible ----------------------------------------------------------------------

OPENAI_BASE = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "model": "gpt-4o-mini"}


def openai_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {**OPENAI_BASE, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def openai_fragment(index: int, arguments: str, **first: str) -> dict[str, Any]:
    """One ``delta.tool_calls`` fragment; ``first`` (id=, name=) only on a call's first."""
    fragment: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if first:
        fragment["id"] = first["id"]
        fragment["type"] = "function"
        fragment["function"]["name"] = first["name"]
    return openai_chunk({"tool_calls": [fragment]})


def openai_tool_stream(*fragments: dict[str, Any], text: str = "",
                       finish: str | None = "tool_calls") -> bytes:
    events: list[tuple[str | None, Any]] = [
        (None, openai_chunk({"role": "assistant", "content": text or None}))
    ]
    events += [(None, f) for f in fragments]
    if finish:
        events.append((None, openai_chunk({}, finish)))
    events.append((None, {**OPENAI_BASE, "choices": [],
                          "usage": {"prompt_tokens": 40, "completion_tokens": 31}}))
    events.append((None, "[DONE]"))
    return sse(*events)


def test_openai_sends_tools_in_its_function_shape() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_fragment(0, "", id="call_a", name="get_time"))))
    run(make("openai", rec))
    assert rec.body()["tools"] == [
        {"type": "function", "function": {"name": "get_weather",
                                          "description": "Current weather for a city.",
                                          "parameters": WEATHER_SCHEMA}},
        {"type": "function", "function": {"name": "get_time", "description": "The time now.",
                                          "parameters": {"type": "object",
                                                         "properties": {}}}},
    ]


def test_openai_without_tools_sends_no_tools_field() -> None:
    rec = Recorder(event_stream(openai_tool_stream(text="Hi", finish="stop")))
    items, error = run(make("openai", rec), GenerationOptions(max_tokens=20))
    assert error is None and text(items) == "Hi"
    assert "tools" not in rec.body()


def test_openai_streams_two_parallel_calls_with_arguments_in_pieces() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_fragment(0, "", id="call_paris", name="get_weather"),
        openai_fragment(0, '{"ci'),
        openai_fragment(0, 'ty": "Pa'),
        openai_fragment(1, "", id="call_oslo", name="get_weather"),
        openai_fragment(0, 'ris"}'),
        openai_fragment(1, '{"city": '),
        openai_fragment(1, '"Oslo", "unit"'),
        openai_fragment(1, ': "C"}'),
    )))
    items, error = run(make("openai", rec))
    assert error is None
    assert items == [
        ToolCall("call_paris", "get_weather", {"city": "Paris"}),
        ToolCall("call_oslo", "get_weather", {"city": "Oslo", "unit": "C"}),
        Finish("tool_calls", prompt_tokens=40, completion_tokens=31),
    ]


def test_openai_text_before_a_call_and_a_call_without_arguments() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_chunk({"content": " one moment."}),
        openai_fragment(0, "", id="call_t", name="get_time"),
        text="Sure,",
    )))
    items, error = run(make("openai", rec))
    assert error is None
    assert items[:3] == ["Sure,", " one moment.", ToolCall("call_t", "get_time", {})]
    assert isinstance(items[-1], Finish) and items[-1].reason == "tool_calls"


def test_openai_fragments_without_index_are_told_apart_by_id() -> None:
    """Some compatible servers send each call whole, without ``index``."""
    def whole(call_id: str, arguments: str) -> dict[str, Any]:
        return openai_chunk({"tool_calls": [{"id": call_id, "type": "function", "function": {
            "name": "get_weather", "arguments": arguments}}]})

    rec = Recorder(event_stream(openai_tool_stream(
        whole("c1", '{"city": "Paris"}'), whole("c2", '{"city": "Oslo"}'))))
    items, error = run(make("openai", rec))
    assert error is None
    assert [(c.id, c.arguments["city"]) for c in calls(items)] == [("c1", "Paris"), ("c2", "Oslo")]


def test_openai_calls_are_yielded_even_without_a_finish_reason() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_fragment(0, '{"city": "Rome"}', id="call_r", name="get_weather"),
        finish=None)))
    items, error = run(make("openai", rec))
    assert error is None
    assert calls(items) == [ToolCall("call_r", "get_weather", {"city": "Rome"})]
    assert items[-1] == Finish("tool_calls", 40, 31)


def test_openai_streamed_arguments_that_are_not_json_are_a_clear_error() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_fragment(0, "", id="call_x", name="get_weather"),
        openai_fragment(0, '{"city": "Par'),
        openai_fragment(0, "is"),
        text="Checking.",
    )))
    items, error = run(make("openai", rec))
    assert_clear(error, "acme", "'get_weather'", "not valid JSON")
    assert items == ["Checking."]  # the text before the call was yielded


def test_openai_arguments_that_are_json_but_not_an_object_are_an_error() -> None:
    rec = Recorder(event_stream(openai_tool_stream(
        openai_fragment(0, '["Paris"]', id="call_x", name="get_weather"))))
    _, error = run(make("openai", rec))
    assert_clear(error, "'get_weather'", "not a JSON object")


def test_openai_non_streaming_tool_calls() -> None:
    rec = Recorder(json_response(200, {
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "get_time", "arguments": "{}"}},
            ]}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20}}))
    items, error = run(make("openai", rec, stream=False))
    assert error is None
    assert items == [
        ToolCall("call_1", "get_weather", {"city": "Paris"}),
        ToolCall("call_2", "get_time", {}),
        Finish("tool_calls", 50, 20),
    ]
    assert rec.body()["tools"][0]["function"]["name"] == "get_weather"


def test_openai_non_streaming_bad_arguments_are_a_clear_error() -> None:
    rec = Recorder(json_response(200, {
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{city: Paris}"}}]}}]}))
    _, error = run(make("openai", rec, stream=False))
    assert_clear(error, "'get_weather'", "not valid JSON")


# -- Anthropic ------------------------------------------------------------------------------


def anthropic_tool_stream(*partial_json: str, input_start: Any = None) -> bytes:
    """Text in block 0, then a tool_use block 1 whose input arrives as ``partial_json``."""
    tool_block: dict[str, Any] = {"type": "tool_use", "id": "toolu_01", "name": "get_weather",
                                  "input": {} if input_start is None else input_start}
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "claude-haiku-4-5", "stop_reason": None,
            "usage": {"input_tokens": 300, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "Let me "}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "check."}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1,
                                 "content_block": tool_block}),
    ]
    for piece in partial_json:
        events.append(("content_block_delta", {
            "type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": piece}}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                           "usage": {"output_tokens": 89}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return sse(*events)


def test_anthropic_sends_tools_with_input_schema() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream('{"city": "Paris"}')))
    run(make("anthropic", rec))
    assert rec.body()["tools"] == [
        {"name": "get_weather", "description": "Current weather for a city.",
         "input_schema": WEATHER_SCHEMA},
        {"name": "get_time", "description": "The time now.",
         "input_schema": {"type": "object", "properties": {}}},
    ]


def test_anthropic_without_tools_sends_no_tools_field() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream('{"city": "Paris"}')))
    run(make("anthropic", rec), GenerationOptions(max_tokens=20))
    assert "tools" not in rec.body()


def test_anthropic_text_then_a_call_whose_input_streams_in_pieces() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream(
        "", '{"city', '": "Par', 'is", "un', 'it": "C"}')))
    items, error = run(make("anthropic", rec))
    assert error is None
    assert items == [
        "Let me ", "check.",
        ToolCall("toolu_01", "get_weather", {"city": "Paris", "unit": "C"}),
        Finish("tool_calls", prompt_tokens=300, completion_tokens=89),
    ]


def test_anthropic_call_without_input_deltas_uses_the_start_block_input() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream(input_start={})))
    items, error = run(make("anthropic", rec))
    assert error is None
    assert calls(items) == [ToolCall("toolu_01", "get_weather", {})]


def test_anthropic_input_that_is_not_json_is_a_clear_error() -> None:
    rec = Recorder(event_stream(anthropic_tool_stream('{"city": ', '"Paris"')))
    items, error = run(make("anthropic", rec))
    assert_clear(error, "acme", "'get_weather'", "not valid JSON")
    assert text(items) == "Let me check."


def test_anthropic_non_streaming_text_and_tool_use() -> None:
    rec = Recorder(json_response(200, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "toolu_a", "name": "get_weather",
             "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_b", "name": "get_weather",
             "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use", "usage": {"input_tokens": 300, "output_tokens": 60}}))
    items, error = run(make("anthropic", rec, stream=False))
    assert error is None
    assert items == [
        "Checking both.",
        ToolCall("toolu_a", "get_weather", {"city": "Paris"}),
        ToolCall("toolu_b", "get_weather", {"city": "Oslo"}),
        Finish("tool_calls", 300, 60),
    ]
    assert rec.body()["tools"][0]["input_schema"] == WEATHER_SCHEMA


# -- Gemini ---------------------------------------------------------------------------------


def gemini_stream(*records: dict[str, Any]) -> bytes:
    return sse(*[(None, r) for r in records])


def gemini_record(*parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    record: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
    if finish:
        candidate["finishReason"] = finish
        record["usageMetadata"] = {"promptTokenCount": 70, "candidatesTokenCount": 15,
                                   "totalTokenCount": 85}
    return record


def test_gemini_sends_function_declarations() -> None:
    rec = Recorder(event_stream(gemini_stream(gemini_record({"text": "ok"}, finish="STOP"))))
    run(make("gemini", rec))
    assert rec.body()["tools"] == [{"functionDeclarations": [
        {"name": "get_weather", "description": "Current weather for a city.",
         "parameters": WEATHER_SCHEMA},
        {"name": "get_time", "description": "The time now.",
         "parameters": {"type": "object", "properties": {}}},
    ]}]


def test_gemini_without_tools_sends_no_tools_field() -> None:
    rec = Recorder(event_stream(gemini_stream(gemini_record({"text": "ok"}, finish="STOP"))))
    run(make("gemini", rec), GenerationOptions(max_tokens=20))
    assert "tools" not in rec.body()


def test_gemini_streamed_function_calls_finish_as_tool_calls() -> None:
    """Gemini says STOP after function calls; ids are made up when the API sends none."""
    rec = Recorder(event_stream(gemini_stream(
        gemini_record({"text": "Looking up "}),
        gemini_record({"text": "both."}),
        gemini_record(
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
            {"functionCall": {"name": "get_weather", "args": {"city": "Oslo", "unit": "C"}}},
            finish="STOP"),
    )))
    items, error = run(make("gemini", rec))
    assert error is None
    assert items == [
        "Looking up ", "both.",
        ToolCall("call_0", "get_weather", {"city": "Paris"}),
        ToolCall("call_1", "get_weather", {"city": "Oslo", "unit": "C"}),
        Finish("tool_calls", prompt_tokens=70, completion_tokens=15),
    ]


def test_gemini_non_streaming_call_with_its_own_id_and_no_args() -> None:
    rec = Recorder(json_response(200, gemini_record(
        {"text": "One moment."},
        {"functionCall": {"id": "fc-7", "name": "get_time"}},
        finish="STOP")))
    items, error = run(make("gemini", rec, stream=False))
    assert error is None
    assert items == ["One moment.", ToolCall("fc-7", "get_time", {}),
                     Finish("tool_calls", 70, 15)]


def test_gemini_args_that_are_not_an_object_are_a_clear_error() -> None:
    rec = Recorder(event_stream(gemini_stream(gemini_record(
        {"functionCall": {"name": "get_weather", "args": '{"city": Paris'}}, finish="STOP"))))
    _, error = run(make("gemini", rec))
    assert_clear(error, "acme", "'get_weather'", "not valid JSON")


def test_gemini_malformed_function_call_is_a_clear_error() -> None:
    rec = Recorder(event_stream(gemini_stream(
        gemini_record({"text": "Let me"}),
        gemini_record(finish="MALFORMED_FUNCTION_CALL"))))
    items, error = run(make("gemini", rec))
    assert_clear(error, "acme", "MALFORMED_FUNCTION_CALL")
    assert items == ["Let me"]


# -- the orchestrator offers no tools yet ---------------------------------------------------


class CallingProvider(ScriptedProvider):
    """Answers with some text, then a tool call nobody offered, then more text."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[GenerationOptions] = []

    def stream(self, messages, options: GenerationOptions, cancel) -> Iterator[Any]:
        self.options.append(options)
        yield "Let me "
        yield "look."
        yield ToolCall("call_1", "code_search", {"query": "def main"})
        yield Finish("tool_calls", 30, 12)


def test_a_tool_call_without_tools_is_an_error_and_keeps_the_partial_answer(
    settings, store: Store
) -> None:
    provider = CallingProvider()
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    events = list(orch.run_turn("find main", tools=False))  # tools off for this turn
    assert provider.options[0].tools == ()
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == "Let me look."
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1
    assert "'code_search'" in errors[0] and "offered no tools" in errors[0]
    assert errors[0].endswith("(partial answer saved)")
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "error" and done.finish_reason == "tool_calls"
    assert done.usage.completion_tokens == 12  # the stream was read to its Finish
    assert isinstance(events[-1], DoneEvent)
    saved = store.messages(done.session_id)
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", "find main", "complete"),
        ("assistant", "Let me look.", "error"),
    ]


def test_a_hosted_tool_call_reaches_the_orchestrator_as_an_error(
    settings, store: Store
) -> None:
    """End to end: Anthropic streams text and a tool_use block the turn never asked for."""
    rec = Recorder(event_stream(anthropic_tool_stream('{"city": "Paris"}')))
    provider = make("anthropic", rec)
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    events = list(orch.run_turn("weather?", tools=False))
    assert "tools" not in rec.body()
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "'get_weather'" in errors[0]
    assert "acme/claude-haiku-4-5" in errors[0]
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert (done.content, done.status, done.provider) == ("Let me check.", "error", "acme")
    assert done.usage.prompt_tokens == 300 and done.usage.completion_tokens == 89


def test_a_plain_answer_is_unchanged(orchestrator: Orchestrator) -> None:
    events = list(orchestrator.run_turn("hi"))
    assert not [e for e in events if isinstance(e, ErrorEvent)]
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "complete" and done.finish_reason == "stop"
