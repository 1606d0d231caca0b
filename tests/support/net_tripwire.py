"""A socket-level tripwire for the "nothing leaves the machine" promise.

:func:`tripwire` records (and refuses) every name lookup and every connection to a
non-loopback address made through Python's socket layer, including the resolver that
``fetch_url``'s guard captured at import time, and stands in for ``ddgs`` (whose Rust HTTP
client would not go through Python's sockets) with a module that records any use. Tests
assert ``attempts == []`` at the end: a tool that swallowed the error still leaves a trace.
"""

from __future__ import annotations

import socket
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    text = str(host).strip("[]").lower()
    return text in _LOOPBACK_NAMES or text.startswith("127.")


class Tripwire:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def hit(self, what: str) -> None:
        self.attempts.append(what)
        raise OSError(f"tripwire: {what} (nothing may leave the machine here)")


@contextmanager
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    wire = Tripwire()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            wire.hit(f"getaddrinfo({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any, name: str) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not _is_loopback(host):
                wire.hit(f"{name}({address!r})")

    def connect(sock: socket.socket, address: Any) -> Any:
        check(sock, address, "connect")
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        check(sock, address, "connect_ex")
        return real_connect_ex(sock, address)

    class DDGS:  # the web search library, at its boundary
        def __init__(self, *_a: Any, **_k: Any) -> None:
            wire.hit("ddgs.DDGS()")

    fake_ddgs = types.ModuleType("ddgs")
    fake_ddgs.DDGS = DDGS  # type: ignore[attr-defined]
    fake_exceptions = types.ModuleType("ddgs.exceptions")

    class DDGSException(Exception):
        pass

    for name in ("DDGSException", "RatelimitException", "TimeoutException"):
        setattr(fake_exceptions, name, DDGSException)
    fake_ddgs.exceptions = fake_exceptions  # type: ignore[attr-defined]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    import assistant.tools.netguard as netguard

    monkeypatch.setattr(netguard, "_getaddrinfo", getaddrinfo)
    monkeypatch.setitem(sys.modules, "ddgs", fake_ddgs)
    monkeypatch.setitem(sys.modules, "ddgs.exceptions", fake_exceptions)
    yield wire
