"""Local fakes of hosted model APIs for tests: httpx MockTransport handlers replaying the
vendors' documented SSE shapes, a stream that breaks mid-answer, and a recording sleeper."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx


def sse(*events: tuple[str | None, Any]) -> bytes:
    """SSE bytes from ``(event name or None, data)`` pairs; ``data`` that is not a str is
    JSON-encoded."""
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        lines = [f"event: {name}"] if name else []
        lines += [f"data: {line}" for line in text.split("\n")]
        out.append("\n".join(lines) + "\n\n")
    return "".join(out).encode("utf-8")


class BreakingStream(httpx.SyncByteStream):
    """Sends ``chunks`` and then fails the read with ``error`` (a timeout by default)."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error or httpx.ReadTimeout("timed out")

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise self.error


class Recorder:
    """A MockTransport handler that answers with queued responses and keeps the requests."""

    def __init__(self, *responses: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return item(request) if callable(item) else item

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


class Sleeps:
    """A sleeper that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float, cancel: threading.Event) -> bool:
        self.waits.append(seconds)
        return cancel.is_set()


def event_stream(body: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, headers={"content-type": "text/event-stream", **headers}, content=body
    )


def json_response(status: int, data: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


# -- documented stream shapes ---------------------------------------------------------------


def openai_chunks(pieces: list[str], finish: str = "stop", usage: dict | None = None) -> bytes:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini"}
    events: list[tuple[str | None, Any]] = [
        (None, {**base, "choices": [{"index": 0, "delta": {"role": "assistant",
                                                           "content": ""}}]})
    ]
    for piece in pieces:
        events.append(
            (None, {**base, "choices": [{"index": 0, "delta": {"content": piece},
                                         "finish_reason": None}]})
        )
    events.append((None, {**base, "choices": [{"index": 0, "delta": {},
                                               "finish_reason": finish}]}))
    if usage is not None:
        events.append((None, {**base, "choices": [], "usage": usage}))
    events.append((None, "[DONE]"))
    return sse(*events)


def anthropic_stream(
    pieces: list[str], stop: str = "end_turn", input_tokens: int = 25, output_tokens: int = 7
) -> list[tuple[str | None, Any]]:
    """The event sequence of Anthropic's Messages streaming docs (as pairs, so tests can
    splice in an error event)."""
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "claude-haiku-4-5", "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    for piece in pieces:
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": piece}}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": stop, "stop_sequence": None},
                           "usage": {"output_tokens": output_tokens}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def gemini_records(
    pieces: list[str], finish: str = "STOP", prompt_tokens: int = 12, output_tokens: int = 5
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for index, piece in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"parts": [{"text": piece}], "role": "model"},
                                     "index": 0}
        record: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
        if index == len(pieces) - 1:
            candidate["finishReason"] = finish
            record["usageMetadata"] = {"promptTokenCount": prompt_tokens,
                                       "candidatesTokenCount": output_tokens,
                                       "totalTokenCount": prompt_tokens + output_tokens}
        records.append(record)
    return records
