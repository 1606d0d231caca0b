"""Caps on a request's head (request line + headers), enforced while it is being received.

uvicorn's httptools protocol buffers a header of any size before the app (and so the token
and Host checks in :mod:`assistant.server.security`) sees the request: a 32 MB header with no
token was read in full and its memory kept. :class:`CappedHttpToolsProtocol` counts the bytes
of each request head as they arrive and answers ``431`` (in the API's error shape) and closes
the connection once the head passes :data:`MAX_HEAD_BYTES` or has more than
:data:`MAX_HEADERS` header lines. Without httptools, uvicorn's h11 protocol is used with its
own incomplete-event cap set to the same size.
"""

from __future__ import annotations

import json
from typing import Any

MAX_HEAD_BYTES = 64 * 1024  # request line + all headers
MAX_HEADERS = 100


def _431(message: str) -> bytes:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "param": None, "code": "headers_too_large"}}).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


def http_protocol_options() -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments that enforce the caps."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD_BYTES}
    return {"http": _capped_httptools()}


def _capped_httptools() -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class CappedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's httptools protocol with the head caps (see the module docstring)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._head_bytes = 0
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            counting = self._in_head
            super().data_received(data)
            if counting and self._in_head and not self._refused:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse(f"the request's headers are larger than {MAX_HEAD_BYTES} "
                                 "bytes")

        def on_message_begin(self) -> None:
            self._in_head = True
            super().on_message_begin()

        def on_header(self, name: bytes, value: bytes) -> None:
            if len(self.headers) >= MAX_HEADERS:
                self._refuse(f"the request has more than {MAX_HEADERS} headers")
                raise ValueError("too many headers")  # stops the parser
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_bytes = 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            super().on_message_complete()

        def send_400_response(self, msg: str) -> None:
            if not self._refused:  # after a 431 the connection is already answered
                super().send_400_response(msg)

        def _refuse(self, message: str) -> None:
            if self._refused:
                return
            self._refused = True
            if not self.transport.is_closing():
                self.transport.write(_431(message))
                self.transport.close()

    return CappedHttpToolsProtocol
