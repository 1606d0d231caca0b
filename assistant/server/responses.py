"""Error responses in OpenAI's shape (``{"error": {...}}``), for the app and every route."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from assistant.server.security import error_body

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 409: "conflict_error", 422: "invalid_request_error",
          503: "server_busy"}


def error_response(status: int, message: str, code: str | None = None,
                   param: str | None = None, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    type_ = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return JSONResponse(error_body(message, type_, code, param), status, headers=headers)
