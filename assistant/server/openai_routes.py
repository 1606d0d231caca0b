"""OpenAI-compatible ``/v1``: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Each completion is a Fireside turn in a session (see :mod:`assistant.server.reconcile`):
the session id comes from the ``X-Fireside-Session`` header or a ``session_id`` body field,
and is returned in the ``X-Fireside-Session`` response header.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import SessionBusyError
from assistant.events import ErrorEvent, MessageDoneEvent, TokenEvent, ToolCallEvent
from assistant.server.context import ServerContext, context_of, known_model, model_ids
from assistant.server.reconcile import (
    MessagesError,
    parse_messages,
    planned_session,
    reconcile,
)
from assistant.server.responses import error_response
from assistant.server.streaming import TurnStream, watch_disconnect
from assistant.server.turns import RequestProvider, turn_batches, turn_events
from assistant.store import new_session_id
from providers.base import ToolCall, ToolSpec

router = APIRouter(prefix="/v1")

SESSION_HEADER = "X-Fireside-Session"


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None
    stop: str | list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    n: int | None = Field(default=None, ge=1)
    session_id: str | None = None


@router.get("/models")
async def list_models(request: Request) -> dict[str, Any]:
    ctx = context_of(request)
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "fireside"}
            for name in model_ids(ctx)
        ],
    }


@router.get("/models/{model_id:path}", response_model=None)
async def get_model(request: Request, model_id: str) -> JSONResponse | dict[str, Any]:
    ctx = context_of(request)
    if not known_model(ctx, model_id):
        return error_response(404, f"the model {model_id!r} does not exist", "model_not_found",
                              "model")
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "fireside"}


def _tool_specs(tools: list[dict[str, Any]] | None) -> tuple[ToolSpec, ...]:
    specs = []
    for index, tool in enumerate(tools or []):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(fn, dict) or not fn.get("name"):
            raise MessagesError(f"tools[{index}] must be {{'type': 'function', 'function': "
                                "{'name': ..., 'parameters': {...}}}")
        specs.append(ToolSpec(str(fn["name"]), str(fn.get("description", "")),
                              dict(fn.get("parameters") or {"type": "object", "properties": {}})))
    return tuple(specs)


def _request_settings(ctx: ServerContext, body: ChatCompletionRequest, system: str | None) -> Any:
    base = ctx.orchestrator.settings
    update: dict[str, Any] = {
        # An OpenAI client brings its own context and runs its own tools.
        "tools": base.tools.model_copy(update={"enabled": False}),
        "index": base.index.model_copy(update={"context_tokens": 0}),
    }
    if system:
        update["system_prompt"] = system
    limit = body.max_completion_tokens or body.max_tokens
    for key, value in (("max_tokens", limit), ("temperature", body.temperature),
                       ("top_p", body.top_p), ("seed", body.seed)):
        if value is not None:
            update[key] = value
    return base.model_copy(update=update)


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    request: Request, body: ChatCompletionRequest
) -> JSONResponse | StreamingResponse:
    ctx = context_of(request)
    if not known_model(ctx, body.model):
        return error_response(
            404, f"the model {body.model!r} does not exist; GET /v1/models lists the models",
            "model_not_found", "model")
    if body.n not in (None, 1):
        return error_response(400, "only n=1 is supported", "unsupported", "n")
    try:
        conversation = parse_messages(body.messages)
        tools = _tool_specs(body.tools)
    except MessagesError as exc:
        return error_response(400, str(exc), "invalid_messages", "messages")
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    wanted = request.headers.get(SESSION_HEADER) or body.session_id
    ticket = ctx.queue.admit()  # QueueFullError → 503 before anything is saved
    try:
        # Nothing is written until the turn starts (a client that gives up while queued
        # leaves no session behind); a new session's id is fixed now for the header.
        reused = await run_in_threadpool(planned_session, ctx.store, wanted, conversation)
        session_id = reused or new_session_id()
        settings = _request_settings(ctx, body, conversation.system)
    except BaseException:
        ticket.abandon()
        raise
    model = body.model if body.model in model_ids(ctx) else ctx.orchestrator.model_name

    def run(cancel: threading.Event) -> Iterator[Any]:
        from assistant.orchestrator import Orchestrator

        calls: list[ToolCall] = []
        # The app's provider as it is now that this request holds the model (a model switch
        # in the TUI waits for the queue too).
        wrapped = RequestProvider(ctx.orchestrator.provider, tools=tools, stop=stop,
                                  on_tool_call=calls.append)
        turn = Orchestrator(settings, ctx.store, provider_factory=lambda _s: wrapped)
        step = 0
        target = reconcile(ctx.store, wanted, conversation,
                           new_id=None if reused else session_id)
        # Fireside's own tools and code context stay out: the client decides the prompt.
        events = turn.run_turn(conversation.prompt, session_id=target, cancel=cancel,
                               tools=False)
        try:
            for event in events:
                while calls:
                    call = calls.pop(0)
                    step += 1
                    yield ToolCallEvent(call.id, call.name, call.arguments, step)
                yield event
        except SessionBusyError as exc:  # another front end is answering in this session
            yield ErrorEvent(str(exc))

    cancel = threading.Event()
    headers = {SESSION_HEADER: session_id}
    completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
    if body.stream:
        usage = bool((body.stream_options or {}).get("include_usage"))
        return TurnStream(
            _sse(turn_batches(ticket, run, cancel), cancel, completion_id, model, usage),
            ticket,
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    watcher = asyncio.create_task(watch_disconnect(request, cancel))
    try:
        return await _complete(turn_events(ticket, run, cancel), completion_id, model,
                               headers)
    finally:
        watcher.cancel()
        ticket.abandon()


def _finish_reason(done: MessageDoneEvent | None, calls: list[ToolCallEvent]) -> str:
    if calls:
        return "tool_calls"
    reason = done.finish_reason if done else None
    return reason if reason in ("stop", "length", "tool_calls", "content_filter") else "stop"


def _tool_call_json(call: ToolCallEvent, index: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }
    return {"index": index, **out} if index is not None else out


def _usage(done: MessageDoneEvent | None) -> dict[str, int]:
    prompt = done.usage.prompt_tokens if done else 0
    completion = done.usage.completion_tokens if done else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


async def _complete(events: AsyncIterator[Any], completion_id: str, model: str,
                    headers: dict[str, str]) -> JSONResponse:
    pieces: list[str] = []
    calls: list[ToolCallEvent] = []
    done: MessageDoneEvent | None = None
    errors: list[str] = []
    async for event in events:
        if isinstance(event, TokenEvent):
            pieces.append(event.text)
        elif isinstance(event, ToolCallEvent):
            calls.append(event)
        elif isinstance(event, MessageDoneEvent):
            done = event
        elif isinstance(event, ErrorEvent):
            errors.append(event.message)
    if errors and not pieces and not calls:
        return error_response(500, "; ".join(errors), "generation_failed", headers=headers)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
    if calls:
        message["tool_calls"] = [_tool_call_json(c) for c in calls]
        message["content"] = message["content"] or None
    return JSONResponse({
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": _finish_reason(done, calls)}],
        "usage": _usage(done),
        "system_fingerprint": None,
    }, headers=headers)


async def _sse(batches: AsyncIterator[list[Any]], cancel: threading.Event,
               completion_id: str, model: str, include_usage: bool) -> AsyncIterator[str]:
    try:
        async for text in _sse_lines(batches, completion_id, model, include_usage):
            yield text
    finally:
        cancel.set()  # the client went away mid-stream: stop the turn (no-op once done)


async def _sse_lines(batches: AsyncIterator[list[Any]], completion_id: str, model: str,
                     include_usage: bool) -> AsyncIterator[str]:
    created = int(time.time())
    usage_field = ', "usage": null' if include_usage else ""
    # Every token chunk is this text around the JSON of its content.
    head = ("data: " + json.dumps({"id": completion_id, "object": "chat.completion.chunk",
                                   "created": created, "model": model,
                                   "system_fingerprint": None})[:-1]
            + ', "choices": [{"index": 0, "delta": {"content": ')
    tail = '}, "logprobs": null, "finish_reason": null}]' + usage_field + "}\n\n"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data: dict[str, Any] = {
            "id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": model, "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    calls: list[ToolCallEvent] = []
    done: MessageDoneEvent | None = None
    yield chunk({"role": "assistant", "content": ""})
    async for batch in batches:
        out: list[str] = []
        for event in batch:
            if isinstance(event, TokenEvent):
                out.append(head + json.dumps(event.text, ensure_ascii=False) + tail)
            elif isinstance(event, ToolCallEvent):
                out.append(chunk({"tool_calls": [_tool_call_json(event, len(calls))]}))
                calls.append(event)
            elif isinstance(event, ErrorEvent):
                error = {"message": event.message, "type": "server_error", "param": None,
                         "code": "generation_failed"}
                out.append(f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n")
            elif isinstance(event, MessageDoneEvent):
                done = event
        if out:
            yield "".join(out)
    yield chunk({}, _finish_reason(done, calls))
    if include_usage:
        data = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": model, "system_fingerprint": None, "choices": [],
                "usage": _usage(done)}
        yield f"data: {json.dumps(data)}\n\n"
    yield "data: [DONE]\n\n"
