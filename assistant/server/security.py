"""The API's front door, as plain ASGI middleware (runs before any route).

In order: the Host header must name this server on loopback (421 otherwise: defeats DNS
rebinding), an ``Origin`` header must be on the allowlist (403), CORS preflight is answered
only for allowed origins, every request but ``GET /api/v1/health`` needs the bearer token
(401), and request bodies must be JSON (415), no larger than the limit (413, counted while
reading, chunked bodies included) and well-formed, nested at most ``MAX_JSON_DEPTH`` deep
(422). Request heads are capped while they arrive (:mod:`assistant.server.http_limits`).
Errors use OpenAI's error shape.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC = {("GET", "/api/v1/health"), ("HEAD", "/api/v1/health")}
BODY_METHODS = {"POST", "PUT", "PATCH"}
ALLOWED_HEADERS = "Authorization, Content-Type, X-Fireside-Session"
EXPOSED_HEADERS = "X-Fireside-Session, Retry-After"


def error_body(
    message: str, type_: str = "invalid_request_error", code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error shape, used for every error the API returns."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> None:
    data = json.dumps(body).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data, "more_body": False})


def allowed_hosts(port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host header values naming this server: loopback spellings with the port."""
    names = ["127.0.0.1", "localhost", "[::1]", *extra]
    return frozenset(f"{name.lower()}:{port}" for name in names)


class SecurityMiddleware:
    """Wraps the FastAPI app; see the module docstring for the rules."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: Callable[[], str],
        hosts: frozenset[str],
        origins: Iterable[str],
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self._token = token
        self.hosts = hosts
        self.origins = frozenset(o.rstrip("/") for o in origins)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # no websocket endpoints: refuse politely
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method = scope["method"].upper()
        path = scope["path"]
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            await send_json(send, 421, error_body(
                f"Host header {host or 'missing'!r} does not name this server (expected "
                f"one of {', '.join(sorted(self.hosts))})",
                "invalid_request_error", "misdirected_request"))
            return
        origin = headers.get("origin")
        cors: list[tuple[str, str]] = []
        if origin is not None:
            if origin.rstrip("/") not in self.origins:
                await send_json(send, 403, error_body(
                    f"origin {origin!r} is not allowed; add it to [server] allowed_origins",
                    "permission_error", "origin_not_allowed"))
                return
            cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                    ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]
            if method == "OPTIONS" and "access-control-request-method" in headers:
                await send({"type": "http.response.start", "status": 204, "headers": _raw([
                    *cors,
                    ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
                    ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
                    ("Access-Control-Max-Age", "600"),
                ])})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
        if cors:
            send = _with_headers(send, cors)
        if (method, path) not in PUBLIC and not self._authorized(headers):
            await send_json(send, 401, error_body(
                "missing or wrong bearer token: send 'Authorization: Bearer <token>' "
                "(`fireside token` prints it)", "authentication_error", "invalid_api_key"),
                [("WWW-Authenticate", 'Bearer realm="fireside"')])
            return
        if method in BODY_METHODS:
            body = await self._read_body(scope, headers, receive, send)
            if body is None:
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _authorized(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        scheme, _, given = value.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        return hmac.compare_digest(given.strip().encode(), self._token().encode())

    async def _read_body(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send
    ) -> bytes | None:
        """The whole body, or None after answering 415/413/422."""
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            await send_json(send, 415, error_body(
                f"send the request body as application/json (got {ctype or 'no content type'})",
                "invalid_request_error", "unsupported_media_type"))
            return None
        limit = self.max_body_bytes
        too_big = error_body(
            f"the request body is larger than {limit} bytes ([server] max_body_bytes)",
            "invalid_request_error", "request_too_large")
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await send_json(send, 413, too_big, [("Connection", "close")])
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await send_json(send, 413, too_big, [("Connection", "close")])
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = _json_problem(body)
        if problem:
            await send_json(send, 422, error_body(problem, "invalid_request_error",
                                                  "invalid_json"))
            return None
        return body


MAX_JSON_DEPTH = 64  # nesting of objects and arrays in a request body


def _json_problem(body: bytes) -> str | None:
    if not body.strip():
        return "the request body is empty; send a JSON object"
    too_deep = f"the request body is nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the request body is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return (f"the request body is not valid JSON: {exc.msg} "
                f"(line {exc.lineno} column {exc.colno})")
    except RecursionError:
        return too_deep
    if not isinstance(value, dict):
        return "the request body must be a JSON object"
    if _depth_over(value, MAX_JSON_DEPTH):
        return too_deep
    return None


def _depth_over(value: Any, limit: int) -> bool:
    """True when ``value`` nests objects/arrays deeper than ``limit`` (no recursion: a deep
    value must not blow the stack here either)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        if name in out:  # a repeated Host/Origin/Authorization is suspicious: keep it unusable
            out[name] = out[name] + "," + value.decode("latin-1")
        else:
            out[name] = value.decode("latin-1")
    return out


def _raw(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _with_headers(send: Send, extra: list[tuple[str, str]]) -> Send:
    raw = _raw(extra)

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *raw]}
        await send(message)

    return wrapped


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the real messages
    (``http.disconnect`` when the client goes away)."""
    given = False

    async def wrapped() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return wrapped
