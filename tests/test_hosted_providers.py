"""Hosted providers against local fakes (httpx MockTransport) replaying the vendors' documented
stream shapes: text, usage, finish reasons, error events, malformed lines, retries, auth."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import httpx
import pytest

from assistant.config import HostedProviderConfig
from assistant.errors import (
    HostedAuthError,
    HostedError,
    HostedRateLimitError,
    HostedUnavailableError,
    MissingKeyError,
    UnknownModelError,
)
from providers._hosted import HostedProvider
from providers._http import error_message, iter_sse, retry_after
from providers.base import ChatMessage, Finish, GenerationOptions
from providers.router import hosted_provider
from tests.support.fake_apis import (
    BreakingStream,
    Recorder,
    Sleeps,
    anthropic_stream,
    event_stream,
    gemini_records,
    json_response,
    openai_chunks,
    sse,
)

SECRET = "sk-fake-secret-0123456789"
MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello."},
]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-2.5-flash"}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)


def make(
    kind: str, recorder: Recorder, sleeps: Sleeps | None = None, **config: Any
) -> HostedProvider:
    cfg = HostedProviderConfig(kind=kind, model=config.pop("model", MODELS[kind]), **config)
    return hosted_provider(
        "acme", cfg, transport=recorder.transport, sleep=sleeps or Sleeps()
    )


def run(
    provider: HostedProvider,
    messages: list[ChatMessage] = MESSAGES,
    options: GenerationOptions | None = None,
    cancel: threading.Event | None = None,
) -> tuple[list[str], Finish | None, Exception | None]:
    pieces: list[str] = []
    finish: Finish | None = None
    try:
        for item in provider.stream(messages, options or GenerationOptions(max_tokens=50),
                                    cancel or threading.Event()):
            if isinstance(item, Finish):
                finish = item
            else:
                pieces.append(item)
    except HostedError as exc:
        assert SECRET not in str(exc)
        return pieces, finish, exc
    return pieces, finish, None


# -- SSE and error helpers -----------------------------------------------------------------


def test_sse_parser_handles_comments_multiline_crlf_and_a_missing_last_blank_line() -> None:
    lines = [
        ": keep-alive", "event: a", "data: one", "data: two", "", "retry: 10",
        "id: 7", "data:no-space\r", "", "unknown: x", "data: last",
    ]
    events = list(iter_sse(lines))
    assert [(e.event, e.data) for e in events] == [
        ("a", "one\ntwo"), ("message", "no-space"), ("message", "last"),
    ]
    assert events[1].id == "7"


def test_retry_after_forms() -> None:
    assert retry_after(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Headers(), b'{"retryDelay": "17s"}') == 17.0
    assert retry_after(httpx.Headers()) is None


def test_error_message_is_short_and_never_quotes_the_key() -> None:
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    assert error_message(body, SECRET) == "Incorrect API key provided: ***"
    assert len(error_message("x" * 5000)) <= 300


# -- OpenAI-compatible (fakes; the real-server tests are in test_openai_server.py) ---------


def test_openai_stream_text_usage_finish_and_auth_header() -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
    rec = Recorder(event_stream(openai_chunks(["Hel", "lo", "!"], "stop", usage)))
    pieces, finish, error = run(make("openai", rec, base_url="https://api.example.test/v1"))
    assert error is None
    assert "".join(pieces) == "Hello!"
    assert finish == Finish("stop", 11, 3)
    request = rec.requests[0]
    assert str(request.url) == "https://api.example.test/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    body = rec.body()
    assert body["model"] == "gpt-4o-mini" and body["stream"] is True
    assert body["messages"] == MESSAGES
    assert body["stream_options"] == {"include_usage": True}


def test_openai_without_usage_estimates_and_maps_length() -> None:
    rec = Recorder(event_stream(openai_chunks(["a", "b"], "length")))
    _, finish, error = run(make("openai", rec))
    assert error is None and finish is not None
    assert finish.reason == "length" and finish.completion_tokens == 2
    assert finish.prompt_tokens > 0


def test_openai_malformed_lines_are_skipped_and_reported() -> None:
    body = openai_chunks(["ok"]).replace(b"data: [DONE]", b"data: {not json\n\ndata: [DONE]")
    provider = make("openai", Recorder(event_stream(body)))
    pieces, finish, error = run(provider)
    assert error is None and pieces == ["ok"] and finish is not None
    assert provider.take_notes() == ["acme: skipped 1 malformed stream event(s)"]


def test_openai_only_garbage_is_an_error() -> None:
    provider = make("openai", Recorder(event_stream(b"data: <html>\n\ndata: oops\n\n")))
    _, _, error = run(provider)
    assert isinstance(error, HostedError) and "malformed" in str(error)


def test_a_page_that_is_not_an_event_stream_is_an_error() -> None:
    page = httpx.Response(200, headers={"content-type": "text/html"},
                          content=b"<html><body>Sign in to the Wi-Fi</body></html>")
    _, _, error = run(make("anthropic", Recorder(page), base_url="http://portal.test"))
    assert isinstance(error, HostedError)
    assert "no answer events" in str(error) and "http://portal.test" in str(error)


def test_openai_error_object_mid_stream_keeps_the_partial_answer() -> None:
    body = openai_chunks(["partial "]).split(b"data: {\"id\": \"chatcmpl-1\", \"object\": "
                                             b"\"chat.completion.chunk\", \"model\": "
                                             b"\"gpt-4o-mini\", \"choices\": [{\"index\": 0, "
                                             b"\"delta\": {}")[0]
    body += sse((None, {"error": {"message": "upstream provider crashed", "code": 502}}))
    pieces, finish, error = run(make("openai", Recorder(event_stream(body))))
    assert pieces == ["partial "] and finish is None
    assert isinstance(error, HostedError) and "upstream provider crashed" in str(error)


def test_openai_401_fails_at_once_with_the_fix() -> None:
    rec = Recorder(json_response(401, {"error": {"message": f"Incorrect API key {SECRET}",
                                                 "type": "invalid_request_error"}}))
    sleeps = Sleeps()
    _, _, error = run(make("openai", rec, sleeps))
    assert isinstance(error, HostedAuthError)
    assert "fireside keys set acme" in str(error) and "FIRESIDE_ACME_API_KEY" in str(error)
    assert len(rec.requests) == 1 and sleeps.waits == []


def test_openai_429_honours_retry_after_then_succeeds() -> None:
    rec = Recorder(
        json_response(429, {"error": {"message": "Rate limit reached"}}, **{"retry-after": "2"}),
        event_stream(openai_chunks(["fine"])),
    )
    sleeps = Sleeps()
    provider = make("openai", rec, sleeps)
    pieces, finish, error = run(provider)
    assert error is None and pieces == ["fine"]
    assert sleeps.waits == [2.0] and len(rec.requests) == 2
    assert provider.take_notes() == ["acme answered after 2 attempts"]


def test_openai_429_longer_than_the_deadline_is_not_waited_for() -> None:
    rec = Recorder(json_response(429, {"error": {"message": "slow down"}},
                                 **{"retry-after": "3600"}))
    sleeps = Sleeps()
    _, _, error = run(make("openai", rec, sleeps, deadline=30))
    assert isinstance(error, HostedRateLimitError) and "slow down" in str(error)
    assert sleeps.waits == [] and len(rec.requests) == 1


def test_openai_5xx_retries_with_backoff_and_gives_up() -> None:
    rec = Recorder(json_response(503, {"error": {"message": "overloaded"}}))
    sleeps = Sleeps()
    _, _, error = run(make("openai", rec, sleeps, max_retries=2))
    assert isinstance(error, HostedUnavailableError)
    assert "gave up after 3 attempts" in str(error)
    assert len(rec.requests) == 3 and len(sleeps.waits) == 2
    assert sleeps.waits[1] > sleeps.waits[0]


def test_openai_unknown_model() -> None:
    rec = Recorder(json_response(404, {"error": {
        "message": "The model `gpt-9` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "code": "model_not_found"}}))
    _, _, error = run(make("openai", rec, model="gpt-9"))
    assert isinstance(error, UnknownModelError)
    assert "'gpt-9'" in str(error) and "[providers.acme]" in str(error)
    assert len(rec.requests) == 1


def test_openai_timeout_mid_stream_keeps_what_arrived() -> None:
    chunks = openai_chunks(["one ", "two "]).split(b"\n\n")
    head = [c + b"\n\n" for c in chunks[:3]]
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  stream=BreakingStream(head)))
    pieces, finish, error = run(make("openai", rec, timeout=5))
    assert pieces == ["one ", "two "] and finish is None
    assert isinstance(error, HostedUnavailableError)
    assert "mid-answer" in str(error)


def test_openai_broken_connection_mid_stream() -> None:
    head = [openai_chunks(["x"]).split(b"\n\n")[1] + b"\n\n"]
    rec = Recorder(httpx.Response(200, stream=BreakingStream(
        head, httpx.RemoteProtocolError("peer closed connection"))))
    pieces, _, error = run(make("openai", rec))
    assert pieces == ["x"] and isinstance(error, HostedUnavailableError)


def test_openai_endpoint_down_is_retried_then_reported() -> None:
    # A real refused connection on a loopback port nobody listens on.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = HostedProviderConfig(kind="openai", model="m", base_url=f"http://127.0.0.1:{port}/v1",
                               key="", max_retries=1)
    sleeps = Sleeps()
    provider = hosted_provider("acme", cfg, sleep=sleeps)
    _, _, error = run(provider)
    assert isinstance(error, HostedUnavailableError)
    assert "cannot reach acme at 127.0.0.1" in str(error)
    assert len(sleeps.waits) == 1


def test_dns_failure_is_reported_at_once_without_retries() -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    rec = Recorder(offline)
    sleeps = Sleeps()
    _, _, error = run(make("openai", rec, sleeps, base_url="https://api.example.test/v1"))
    assert isinstance(error, HostedUnavailableError)
    assert "cannot resolve api.example.test" in str(error) and "offline" in str(error)
    assert len(rec.requests) == 1 and sleeps.waits == []


def test_openai_non_streaming() -> None:
    rec = Recorder(json_response(200, {
        "id": "c", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}))
    pieces, finish, error = run(make("openai", rec, stream=False))
    assert error is None and pieces == ["Hi there"] and finish == Finish("stop", 9, 2)
    assert rec.body()["stream"] is False


def test_cancel_stops_the_stream() -> None:
    rec = Recorder(event_stream(openai_chunks(["a", "b", "c", "d"])))
    provider = make("openai", rec)
    cancel = threading.Event()
    pieces: list[str] = []
    finish = None
    for item in provider.stream(MESSAGES, GenerationOptions(), cancel):
        if isinstance(item, Finish):
            finish = item
        else:
            pieces.append(item)
            cancel.set()
    assert pieces == ["a"] and finish is not None and finish.reason == "cancelled"


def test_cancel_during_a_retry_wait() -> None:
    rec = Recorder(json_response(503, {"error": {"message": "busy"}}))
    cancel = threading.Event()

    def sleeper(seconds: float, event: threading.Event) -> bool:
        event.set()
        return True

    provider = make("openai", rec)
    provider.http._sleep = sleeper
    items = list(provider.stream(MESSAGES, GenerationOptions(), cancel))
    assert items[-1].reason == "cancelled"  # type: ignore[union-attr]


def test_missing_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIRESIDE_ACME_API_KEY")
    rec = Recorder(event_stream(openai_chunks(["never"])))
    provider = make("openai", rec)
    with pytest.raises(MissingKeyError, match="FIRESIDE_ACME_API_KEY"):
        list(provider.stream(MESSAGES, GenerationOptions(), threading.Event()))
    assert rec.requests == []


def test_keyless_endpoint_sends_no_authorization() -> None:
    rec = Recorder(event_stream(openai_chunks(["ok"])))
    pieces, _, error = run(make("openai", rec, key="", base_url="http://127.0.0.1:1/v1"))
    assert error is None and pieces == ["ok"]
    assert "authorization" not in rec.requests[0].headers


# -- Anthropic -----------------------------------------------------------------------------


def test_anthropic_stream_and_request_shape() -> None:
    rec = Recorder(event_stream(sse(*anthropic_stream(["Hello", " world"]))))
    history: list[ChatMessage] = [
        {"role": "system", "content": "Be brief."},
        {"role": "assistant", "content": "(orphan answer first)"},
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "three"},
    ]
    pieces, finish, error = run(make("anthropic", rec), history,
                                GenerationOptions(max_tokens=64, temperature=1.5))
    assert error is None
    assert "".join(pieces) == "Hello world"
    assert finish == Finish("stop", 25, 7)
    request = rec.requests[0]
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == SECRET
    assert request.headers["anthropic-version"] == "2023-06-01"
    body = rec.body()
    assert body["system"] == "Be brief."
    assert body["messages"] == [
        {"role": "user", "content": "one\n\ntwo"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "three"},
    ]
    assert body["max_tokens"] == 64 and body["temperature"] == 1.0 and body["stream"] is True
    assert "top_p" not in body


def test_anthropic_max_tokens_is_length() -> None:
    rec = Recorder(event_stream(sse(*anthropic_stream(["cut"], stop="max_tokens"))))
    _, finish, _ = run(make("anthropic", rec))
    assert finish is not None and finish.reason == "length"


def test_anthropic_error_event_mid_stream_keeps_the_partial_answer() -> None:
    events = anthropic_stream(["Half an "])[:4]
    events.append(("error", {"type": "error", "error": {"type": "overloaded_error",
                                                        "message": "Overloaded"}}))
    pieces, finish, error = run(make("anthropic", Recorder(event_stream(sse(*events)))))
    assert pieces == ["Half an "] and finish is None
    assert isinstance(error, HostedUnavailableError) and "Overloaded" in str(error)


def test_anthropic_malformed_event_is_tolerated() -> None:
    events = anthropic_stream(["a", "b"])
    events.insert(3, ("content_block_delta", "{broken"))
    provider = make("anthropic", Recorder(event_stream(sse(*events))))
    pieces, finish, error = run(provider)
    assert error is None and pieces == ["a", "b"] and finish is not None
    assert "1 malformed" in provider.take_notes()[0]


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (401, "authentication_error", HostedAuthError),
        (404, "not_found_error", UnknownModelError),
        (400, "invalid_request_error", HostedError),
    ],
)
def test_anthropic_http_errors(status: int, error_type: str, expected: type) -> None:
    rec = Recorder(json_response(status, {"type": "error", "error": {
        "type": error_type, "message": f"model: claude-nope ({error_type})"}}))
    _, _, error = run(make("anthropic", rec, model="claude-nope"))
    assert type(error) is expected
    assert error_type in str(error)
    assert len(rec.requests) == 1


def test_anthropic_529_overloaded_is_retried() -> None:
    rec = Recorder(
        json_response(529, {"type": "error", "error": {"type": "overloaded_error",
                                                      "message": "Overloaded"}}),
        event_stream(sse(*anthropic_stream(["back"]))),
    )
    sleeps = Sleeps()
    pieces, _, error = run(make("anthropic", rec, sleeps))
    assert error is None and pieces == ["back"] and len(sleeps.waits) == 1


def test_anthropic_non_streaming() -> None:
    rec = Recorder(json_response(200, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "!"}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 8, "output_tokens": 2}}))
    pieces, finish, error = run(make("anthropic", rec, stream=False))
    assert error is None and pieces == ["Hi!"] and finish == Finish("stop", 8, 2)


# -- Gemini ---------------------------------------------------------------------------------


def test_gemini_stream_request_shape_and_key_header() -> None:
    body = sse(*[(None, r) for r in gemini_records(["Hel", "lo"], prompt_tokens=12,
                                                   output_tokens=5)])
    rec = Recorder(event_stream(body))
    history: list[ChatMessage] = [
        *MESSAGES, {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Again"},
    ]
    pieces, finish, error = run(make("gemini", rec), history, GenerationOptions(seed=3))
    assert error is None and "".join(pieces) == "Hello"
    assert finish == Finish("stop", 12, 5)
    request = rec.requests[0]
    assert request.url.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.url.params["alt"] == "sse"
    assert SECRET not in str(request.url)
    assert request.headers["x-goog-api-key"] == SECRET
    sent = rec.body()
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["generationConfig"]["seed"] == 3


def test_gemini_max_tokens_and_thoughts_are_skipped() -> None:
    records = gemini_records(["visible"], finish="MAX_TOKENS")
    records[0]["candidates"][0]["content"]["parts"].insert(0, {"text": "hmm", "thought": True})
    rec = Recorder(event_stream(sse(*[(None, r) for r in records])))
    pieces, finish, _ = run(make("gemini", rec))
    assert pieces == ["visible"] and finish is not None and finish.reason == "length"


def test_gemini_invalid_key_is_an_auth_error() -> None:
    rec = Recorder(json_response(400, {"error": {
        "code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                     "reason": "API_KEY_INVALID"}]}}))
    _, _, error = run(make("gemini", rec))
    assert isinstance(error, HostedAuthError) and len(rec.requests) == 1


def test_gemini_unknown_model() -> None:
    rec = Recorder(json_response(404, {"error": {
        "code": 404, "status": "NOT_FOUND",
        "message": "models/gemini-0 is not found for API version v1beta, or is not "
                   "supported for generateContent."}}))
    _, _, error = run(make("gemini", rec, model="gemini-0"))
    assert isinstance(error, UnknownModelError) and "gemini-0" in str(error)


def test_gemini_resource_exhausted_uses_the_retry_delay() -> None:
    rec = Recorder(
        json_response(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                      "message": "quota", "details": [{
                                          "@type": "type.googleapis.com/google.rpc.RetryInfo",
                                          "retryDelay": "4s"}]}}),
        event_stream(sse(*[(None, r) for r in gemini_records(["ok"])])),
    )
    sleeps = Sleeps()
    pieces, _, error = run(make("gemini", rec, sleeps))
    assert error is None and pieces == ["ok"] and sleeps.waits == [4.0]


def test_gemini_blocked_prompt_and_error_record() -> None:
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {
        "promptTokenCount": 4, "totalTokenCount": 4}}
    _, _, error = run(make("gemini", Recorder(event_stream(sse((None, blocked))))))
    assert isinstance(error, HostedError) and "SAFETY" in str(error)
    records = gemini_records(["part", "never"])[:1]
    body = sse(*[(None, r) for r in records],
               (None, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}))
    pieces, _, error = run(make("gemini", Recorder(event_stream(body))))
    assert pieces == ["part"] and isinstance(error, HostedError)
    assert "Internal error" in str(error)


def test_gemini_non_streaming() -> None:
    record = gemini_records(["Whole answer"])[0]
    rec = Recorder(json_response(200, record))
    pieces, finish, error = run(make("gemini", rec, stream=False))
    assert error is None and pieces == ["Whole answer"] and finish is not None
    assert rec.requests[0].url.path.endswith(":generateContent")


class _Trickle(httpx.SyncByteStream):
    """Delivers a body a few bytes at a time, splitting lines and UTF-8 characters."""

    def __init__(self, body: bytes, size: int = 7) -> None:
        self.body, self.size = body, size

    def __iter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self.body), self.size):
            yield self.body[start : start + self.size]


@pytest.mark.parametrize("kind", list(MODELS))
def test_streams_split_at_arbitrary_byte_boundaries(kind: str) -> None:
    pieces = ["Grüße ", "— ", "naïve ", "café"]
    if kind == "openai":
        body = openai_chunks(pieces)
    elif kind == "anthropic":
        body = sse(*anthropic_stream(pieces))
    else:
        body = sse(*[(None, r) for r in gemini_records(pieces)])
    body = body.replace(b"\n", b"\r\n")  # CRLF line endings are allowed too
    rec = Recorder(httpx.Response(200, stream=_Trickle(body)))
    got, finish, error = run(make(kind, rec))
    assert error is None and finish is not None
    assert "".join(got) == "".join(pieces)


# -- nothing leaks the key ---------------------------------------------------------------


def test_key_never_in_exceptions_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    for kind in MODELS:
        rec = Recorder(json_response(403, {"error": {"message": f"key {SECRET} is revoked"}}))
        _, _, error = run(make(kind, rec))
        assert isinstance(error, HostedAuthError)
        assert "***" in str(error)
    assert SECRET not in caplog.text
