"""Fireside's own ``/api/v1``: health, sessions, a chat turn as events, search, indexing."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant import __version__
from assistant.errors import SessionBusyError
from assistant.events import DoneEvent, ErrorEvent, Event, to_dict
from assistant.orchestrator import title_for
from assistant.render import session_dict
from assistant.server.context import context_of, known_model
from assistant.server.responses import error_response
from assistant.server.streaming import TurnStream, watch_disconnect
from assistant.server.turns import turn_batches, turn_events
from assistant.store import new_session_id
from assistant.tools.consent import web_approver

router = APIRouter(prefix="/api/v1")

SESSION_HEADER = "X-Fireside-Session"


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """No token needed: version, model, queue and index state; never a secret or a path."""
    ctx = context_of(request)
    orch = ctx.orchestrator
    provider = orch.made_provider
    return {
        "status": "ok",
        "version": __version__,
        "model": {
            "name": orch.model_name,
            "loaded": bool(provider is not None and provider.loaded),
            "provider": orch.model_provider if provider is not None else "local",
        },
        "queue": {"running": ctx.queue.running, "waiting": ctx.queue.waiting,
                  "size": ctx.queue.size},
        "index": await run_in_threadpool(_index_health, ctx),
    }


def _index_health(ctx: Any) -> dict[str, Any] | None:
    """The status of the server's own project when it has an index (no paths)."""
    from assistant.errors import FiresideError
    from assistant.server.index_jobs import open_project

    try:
        project = open_project(None, ctx.settings)
    except FiresideError:
        return None
    try:
        if not project.exists:
            return None
        status = project.status().to_dict()
    except FiresideError:
        return None
    finally:
        project.close()
    status.pop("root", None)
    if ctx.jobs is not None and (job := ctx.jobs.health()) is not None:
        status["job"] = job
    return status


@router.get("/sessions")
async def list_sessions(request: Request, limit: int = 50) -> dict[str, Any]:
    ctx = context_of(request)
    sessions = await run_in_threadpool(ctx.sessions.recent, max(1, min(limit, 1000)))
    return {"sessions": [asdict(s) for s in sessions]}


@router.get("/sessions/{session_id}")
async def get_session(request: Request, session_id: str) -> dict[str, Any]:
    ctx = context_of(request)

    def load() -> dict[str, Any]:
        sessions = ctx.sessions
        session = sessions.get(session_id)
        return session_dict(session, sessions.messages(session.id))

    return await run_in_threadpool(load)


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, description="The user's message.")
    context: str | None = Field(default=None, description="Text to put before it (a file, "
                                "a selection), as `cat file | fireside chat` does.")
    context_path: str | None = Field(default=None, max_length=4096, description="The file "
                                     "the context (or the code in content) came from: a secret "
                                     "file, by name or where it resolves, is refused (403).")
    stream: bool = True
    model: str | None = Field(default=None, description="Must name the served model (or an "
                              "alias: fireside, local, default) when given.")


API_REFUSAL = "nobody can approve tool calls in an API turn"
API_HINT = "start the server with --allow-web, or set [server] allow_web_tools, to allow them"


def _secret_context(path: str | None) -> JSONResponse | None:
    """403 when the editor's context comes from a secret file (the one rule, on the name and
    on the resolved target: :mod:`indexer.secret_files`)."""
    if not path:
        return None
    from indexer.secret_files import secret_reason

    reason = secret_reason(Path(path).expanduser())
    if reason is None:
        return None
    return error_response(403, f"refused {Path(path).name}: {reason}; nothing was sent",
                          "secret_file", "context_path")


def sse_event(event: Event) -> str:
    data = to_dict(event)
    return f"event: {data['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/sessions/{session_id}/messages", response_model=None)
async def post_message(
    request: Request, session_id: str, body: MessageRequest
) -> JSONResponse | StreamingResponse:
    """One turn in the session (``new`` starts one), streamed as Fireside's events."""
    ctx = context_of(request)
    if body.model is not None and not known_model(ctx, body.model):
        return error_response(
            404, f"the model {body.model!r} does not exist; GET /v1/models lists the models",
            "model_not_found", "model")
    if not body.content.strip():
        return error_response(422, "content: the message is empty", "invalid_request",
                              "content")
    refused = _secret_context(body.context_path)
    if refused is not None:
        return refused
    ticket = ctx.queue.admit()
    new = session_id == "new"
    try:
        # A new session is only created when its turn starts (a client that gives up while
        # queued leaves nothing behind); its id is fixed now for the response header.
        full_id = new_session_id() if new else await run_in_threadpool(
            ctx.store.resolve_session_id, session_id)
    except BaseException:
        ticket.abandon()
        raise

    def run(cancel: threading.Event) -> Iterator[Event]:
        if new:
            ctx.store.create_session(title_for(body.content), session_id=full_id)
        try:
            yield from ctx.orchestrator.run_turn(
                body.content, session_id=full_id, context=body.context, cancel=cancel,
                approve=web_approver(ctx.settings.server.allow_web_tools, API_REFUSAL,
                                     API_HINT),
            )
        except SessionBusyError as exc:  # another front end is answering in this session
            yield ErrorEvent(str(exc))
            yield DoneEvent(full_id)

    cancel = threading.Event()
    headers = {SESSION_HEADER: full_id}
    if body.stream:
        async def lines() -> AsyncIterator[str]:
            try:
                async for batch in turn_batches(ticket, run, cancel):
                    yield "".join(sse_event(event) for event in batch)
            finally:
                cancel.set()

        return TurnStream(lines(), ticket, media_type="text/event-stream",
                          headers={**headers, "Cache-Control": "no-cache"})
    import asyncio

    watcher = asyncio.create_task(watch_disconnect(request, cancel))
    try:
        collected = [to_dict(e) async for e in turn_events(ticket, run, cancel)]
    finally:
        watcher.cancel()
        cancel.set()
        ticket.abandon()
    return JSONResponse({"session_id": full_id, "events": collected}, headers=headers)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    k: int = Field(default=10, ge=1, le=100)
    mode: Literal["hybrid", "lexical", "vector"] = "hybrid"
    path_glob: str | None = None
    path: str | None = Field(default=None, description="Project folder; empty: the folder "
                             "the server was started in (its git root).")
    files: bool = Field(default=False, description="Rank files, each with its best chunks "
                        '([{"path","score","chunks":[...]}]).')


def _folder(path: str | None) -> Path | None:
    return Path(path).expanduser() if path else None


@router.post("/search", response_model=None)
async def search(request: Request, body: SearchRequest) -> JSONResponse:
    """Code search over an indexed project: the JSON of ``fireside search --json``."""
    ctx = context_of(request)

    def run() -> JSONResponse:
        from assistant.server.index_jobs import open_project

        project = open_project(_folder(body.path), ctx.settings)
        try:
            if not project.exists:
                return error_response(
                    404, f"{project.root} is not indexed yet; POST /api/v1/index first",
                    "not_indexed", "path")
            search = project.search_files if body.files else project.search
            hits = search(body.query, k=body.k, mode=body.mode, path_glob=body.path_glob)
            headers = {"X-Fireside-Search-Note": project.last_note} if getattr(
                project, "last_note", None) else None
            return JSONResponse([hit.to_dict() for hit in hits], headers=headers)
        finally:
            project.close()

    return await run_in_threadpool(run)


class IndexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(default=None, description="Folder to index; empty: the folder "
                             "the server was started in (its git root).")
    embed: bool = Field(default=True, description="Also compute embeddings (vector search).")


def _jobs(request: Request) -> Any:
    ctx = context_of(request)
    if ctx.jobs is None:
        from assistant.server.index_jobs import IndexJobs

        ctx.jobs = IndexJobs(ctx.settings)
    return ctx.jobs


@router.post("/index", status_code=202)
async def start_index(request: Request, body: IndexRequest) -> JSONResponse:
    """Start (or join) indexing a folder in the background; returns the job."""
    jobs = _jobs(request)
    job = await run_in_threadpool(jobs.start, _folder(body.path), body.embed)
    return JSONResponse(job.to_dict(), status_code=202)


@router.get("/index/{job_id}")
async def index_job(request: Request, job_id: str) -> dict[str, Any]:
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no indexing job {job_id!r}")
    return job.to_dict()


@router.delete("/index/{job_id}")
async def stop_index(request: Request, job_id: str) -> dict[str, Any]:
    """Stop a running job (what it indexed so far is kept); returns the job."""
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no indexing job {job_id!r}")
    job.cancel.set()
    return job.to_dict()


@router.get("/index/{job_id}/events")
async def index_events(request: Request, job_id: str) -> StreamingResponse:
    """The job as SSE: ``progress`` events while it runs, then one ``end`` event."""
    jobs = _jobs(request)
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no indexing job {job_id!r}")

    async def lines() -> AsyncIterator[str]:
        seen = -1
        while True:
            data = job.to_dict()
            seen_now = job.version
            if job.state != "running":
                yield f"event: end\ndata: {json.dumps({'type': 'end', **data})}\n\n"
                return
            if seen_now != seen:
                yield f"event: progress\ndata: {json.dumps({'type': 'progress', **data})}\n\n"
                seen = seen_now
            await run_in_threadpool(jobs.wait_change, job, seen, 1.0)

    return StreamingResponse(lines(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
