"""The FastAPI app: routes, OpenAI-shaped errors, and the security middleware around it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import __version__
from assistant.errors import FiresideError, IndexerError, IndexLockedError, SessionNotFoundError
from assistant.model_queue import QueueFullError
from assistant.server.context import ServerContext
from assistant.server.responses import error_response
from assistant.server.security import SecurityMiddleware, allowed_hosts


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    where = ".".join(loc) or None
    msg = first.get("msg", "invalid request")
    return (f"{where}: {msg}" if where else msg), where


def create_app(ctx: ServerContext) -> Any:
    """The ASGI app for ``ctx`` (FastAPI wrapped in :class:`SecurityMiddleware`)."""
    from assistant.server.fireside_routes import router as fireside_router
    from assistant.server.openai_routes import router as openai_router

    openapi = ctx.settings.server.openapi
    app = FastAPI(
        title="Fireside localhost API",
        version=__version__,
        openapi_url="/openapi.json" if openapi else None,
        docs_url="/docs" if openapi else None,
        redoc_url=None,
    )
    app.state.ctx = ctx

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return error_response(422, message, "invalid_request", param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint; see plugins/README.md for the API"
        elif exc.status_code == 405:
            message = "this endpoint does not take that method"
        return error_response(exc.status_code, message, None, headers=exc.headers)

    @app.exception_handler(SessionNotFoundError)
    async def _no_session(_request: Request, exc: SessionNotFoundError) -> JSONResponse:
        return error_response(404, str(exc), "session_not_found")

    @app.exception_handler(QueueFullError)
    async def _busy(_request: Request, exc: QueueFullError) -> JSONResponse:
        return error_response(503, str(exc), "queue_full",
                              headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(IndexLockedError)
    async def _locked(_request: Request, exc: IndexLockedError) -> JSONResponse:
        return error_response(409, str(exc), "index_locked")

    @app.exception_handler(IndexerError)
    async def _indexer(_request: Request, exc: IndexerError) -> JSONResponse:
        return error_response(400, str(exc), "index_error")

    @app.exception_handler(FiresideError)
    async def _fireside(_request: Request, exc: FiresideError) -> JSONResponse:
        return error_response(500, str(exc), type(exc).__name__)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        # A bug: the client gets the error shape; the traceback goes to the server's log.
        return error_response(500, f"internal error ({type(exc).__name__}); see the server's "
                              "output and please report it", "internal_error")

    app.include_router(openai_router)
    app.include_router(fireside_router)
    hosts = allowed_hosts(ctx.port, ctx.extra_hosts)
    return SecurityMiddleware(
        app,
        token=ctx.token,
        hosts=hosts,
        origins=ctx.settings.server.allowed_origins,
        max_body_bytes=ctx.settings.server.max_body_bytes,
    )
