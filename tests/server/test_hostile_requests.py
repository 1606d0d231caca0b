"""Hostile or unlucky requests against a real uvicorn server (a scripted model): deep JSON,
huge or countless headers, clients that give up while queued, a busy session, context from a
secret file."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.server.http_limits import MAX_HEAD_BYTES, MAX_HEADERS
from tests.server.conftest import LiveServer, start_server
from tests.support.scripted import ScriptedProvider

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    provider = ScriptedProvider(["Hello from the scripted model."])
    background, server, mp = start_server(tmp_path_factory.mktemp("api-hostile"), provider)
    yield server
    background.stop()
    server.store.close()
    mp.undo()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _raw(live: LiveServer, head: bytes, body: bytes = b"") -> tuple[bytes, float]:
    """Send raw bytes; the whole answer (until the server closes) and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        # the server may answer and close before taking everything: what we want
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + body)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


# -- item 9: deep JSON ------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10_000, 200])
def test_deeply_nested_json_is_a_422_in_the_error_shape(live: LiveServer, depth: int) -> None:
    body = '{"model": "fireside", "messages": ' + "[" * depth + "]" * depth + "}"
    with live.client() as client:
        response = client.post("/v1/chat/completions", content=body,
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_json" and "nested more than" in error["message"]


# -- item 10: header caps ---------------------------------------------------------------------


def test_a_huge_header_is_refused_while_it_arrives(live: LiveServer) -> None:
    head = (f"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nX-Big: ").encode()
    answer, seconds = _raw(live, head, b"a" * (8 * 1024 * 1024) + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431")
    assert b'"headers_too_large"' in answer
    with live.client() as client:  # the server is fine
        assert client.get("/v1/models").status_code == 200


def test_too_many_headers_are_refused(live: LiveServer) -> None:
    lines = "".join(f"X-H{i}: v\r\n" for i in range(MAX_HEADERS + 5))
    head = f"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n{lines}\r\n".encode()
    assert len(head) < MAX_HEAD_BYTES
    answer, _ = _raw(live, head)
    assert answer.startswith(b"HTTP/1.1 431")


def test_ordinary_requests_and_keep_alive_still_work(live: LiveServer) -> None:
    with live.client() as client:
        for _ in range(3):
            assert client.get("/v1/models").status_code == 200
        big_but_fine = {"X-Note": "n" * (MAX_HEAD_BYTES // 2)}
        assert client.get("/v1/models", headers=big_but_fine).status_code == 200


# -- item 11: no session until the turn starts ------------------------------------------------


def _chat(stream: bool) -> dict[str, object]:
    return {"model": "fireside", "messages": [{"role": "user", "content": "Say hi."}],
            "max_tokens": 4, "stream": stream}


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/chat/completions", _chat(True)),
    ("/v1/chat/completions", _chat(False)),
    ("/api/v1/sessions/new/messages", {"content": "Say hi."}),
    ("/api/v1/sessions/new/messages", {"content": "Say hi.", "stream": False}),
])
def test_clients_that_give_up_while_queued_leave_no_session(
    live: LiveServer, path: str, body: dict[str, object]
) -> None:
    queue = live.ctx.queue
    before = len(live.store.list_sessions())
    holder = queue.admit(bounded=False)
    assert holder.wait()
    try:
        client = live.client(timeout=httpx.Timeout(30, read=0.5))
        with pytest.raises(httpx.ReadTimeout), client.stream("POST", path, json=body) as r:
            for _ in r.iter_lines():
                pass
        assert queue.waiting == 1
        assert len(live.store.list_sessions()) == before  # nothing saved while queued
        client.close()
        assert _wait_for(lambda: queue.waiting == 0)
    finally:
        holder.release()
    assert len(live.store.list_sessions()) == before


def test_a_new_session_named_in_the_header_exists_once_answered(live: LiveServer) -> None:
    with live.client() as client:
        response = client.post("/api/v1/sessions/new/messages",
                               json={"content": "Say hi.", "stream": False})
        chat = client.post("/v1/chat/completions", json=_chat(False))
    for answered in (response, chat):
        assert answered.status_code == 200
        session = answered.headers["x-fireside-session"]
        assert [m.role for m in live.store.messages(session)] == ["user", "assistant"]
    assert response.json()["session_id"] == response.headers["x-fireside-session"]


# -- item 12 through the API: a session answering elsewhere ------------------------------------


def test_a_turn_on_a_session_busy_elsewhere_is_an_error_event(live: LiveServer) -> None:
    session = live.store.create_session("busy").id
    with live.store.turn_lock(session), live.client() as client:
        response = client.post(f"/api/v1/sessions/{session}/messages",
                               json={"content": "hello", "stream": False})
    events = response.json()["events"]
    assert [e["type"] for e in events] == ["error", "done"]
    assert "is answering another message" in events[0]["message"]
    assert live.store.messages(session) == []


# -- item 1 through the API: context taken from a secret file ---------------------------------


def test_context_from_a_secret_file_is_refused(live: LiveServer, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=sk-XYZ\n")
    (tmp_path / "notes.txt").symlink_to(".env")
    (tmp_path / "main.py").write_text("x = 1\n")
    before = len(live.store.list_sessions())
    with live.client() as client:
        for name in (".env", "notes.txt"):
            response = client.post("/api/v1/sessions/new/messages", json={
                "content": "explain", "context": "API_KEY=sk-XYZ",
                "context_path": str(tmp_path / name), "stream": False})
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "secret_file"
        ok = client.post("/api/v1/sessions/new/messages", json={
            "content": "explain", "context": "x = 1", "context_path": str(tmp_path / "main.py"),
            "stream": False})
    assert ok.status_code == 200
    assert len(live.store.list_sessions()) == before + 1
    assert json.dumps(ok.json()).count("sk-XYZ") == 0
