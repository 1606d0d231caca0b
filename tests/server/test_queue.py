"""One model, many clients: the queue, client disconnects and overload, through a real
uvicorn server with the embedded SmolLM2 model."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.server.conftest import LiveServer

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _chat(prompt: str, max_tokens: int, stream: bool = False) -> dict[str, object]:
    return {"model": "fireside", "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens, "stream": stream}


def test_a_client_leaving_mid_stream_frees_the_model_and_keeps_the_partial_answer(
    live: LiveServer,
) -> None:
    with live.client() as client, client.stream(
        "POST", "/v1/chat/completions",
        json=_chat("Write a very long story about a dragon and a knight.", 400, stream=True),
    ) as response:
        assert response.status_code == 200
        session_id = response.headers["x-fireside-session"]
        pieces = 0
        for line in response.iter_lines():
            if line.startswith("data: {") and '"content": "' in line and '"role"' not in line:
                pieces += 1
                if pieces == 3:
                    break
    assert pieces == 3
    # Gone: the turn stops within a token, is saved as stopped, and the model is free.
    assert _wait_for(lambda: live.ctx.queue.running == 0 and len(
        live.store.messages(session_id)) == 2)
    answer = live.store.messages(session_id)[-1]
    assert answer.role == "assistant" and answer.status == "cancelled"
    assert answer.content.strip()
    assert answer.completion_tokens is not None and answer.completion_tokens < 100
    started = time.monotonic()
    with live.client() as client:
        after = client.post("/v1/chat/completions", json=_chat("Say hi.", 6))
    assert after.status_code == 200 and after.json()["choices"][0]["message"]["content"]
    assert time.monotonic() - started < 20


def test_two_clients_at_once_are_both_answered(live: LiveServer) -> None:
    def ask(prompt: str) -> httpx.Response:
        with live.client() as client:
            return client.post("/v1/chat/completions", json=_chat(prompt, 12))

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(ask, ["Name a colour.", "Name an animal."]))
    assert [r.status_code for r in responses] == [200, 200]
    sessions = {r.headers["x-fireside-session"] for r in responses}
    assert len(sessions) == 2
    for r in responses:
        assert r.json()["choices"][0]["message"]["content"].strip()


def test_past_the_queue_limit_requests_get_503_and_the_server_stays_up(
    live: LiveServer,
) -> None:
    queue = live.ctx.queue
    assert queue.size == 2
    holder = queue.admit(bounded=False)  # the model is busy (as with a long TUI answer)
    assert holder.wait()
    try:
        def ask(i: int) -> httpx.Response:
            with live.client() as client:
                return client.post("/v1/chat/completions", json=_chat(f"Say {i}.", 4))

        with ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(ask, i) for i in range(20)]
            assert _wait_for(lambda: sum(f.done() for f in futures) == 18)
            refused = [f.result() for f in futures if f.done()]
            assert all(r.status_code == 503 for r in refused)
            assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
            assert refused[0].json()["error"]["code"] == "queue_full"
            assert queue.waiting == 2
            with live.client() as client:  # still up; health never waits for the model
                health = client.get("/api/v1/health").json()
            assert health["queue"] == {"running": 1, "waiting": 2, "size": 2}
            holder.release()
            answered = [f.result() for f in futures if f.result().status_code == 200]
        assert len(answered) == 2
    finally:
        holder.release()
    assert _wait_for(lambda: queue.running == 0 and queue.waiting == 0)


@pytest.mark.parametrize("stream", [True, False])
def test_a_client_leaving_while_queued_leaves_the_line(live: LiveServer, stream: bool) -> None:
    queue = live.ctx.queue
    holder = queue.admit(bounded=False)
    assert holder.wait()
    try:
        client = live.client(timeout=httpx.Timeout(30, read=0.5))
        # The read times out while the request waits in the line.
        with pytest.raises(httpx.ReadTimeout), client.stream(
            "POST", "/v1/chat/completions", json=_chat("Say hi.", 4, stream=stream)
        ) as response:
            for _ in response.iter_lines():
                pass
        assert queue.waiting == 1
        client.close()  # the connection goes away
        assert _wait_for(lambda: queue.waiting == 0, timeout=5)
    finally:
        holder.release()


def test_sse_events_for_a_fireside_turn(live: LiveServer) -> None:
    with live.client() as client, client.stream(
        "POST", "/api/v1/sessions/new/messages", json={"content": "Say hello."}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        session_id = response.headers["x-fireside-session"]
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    types = [e["type"] for e in events]
    assert types[0] in ("status", "context") and types[-1] == "done"
    assert "token" in types and types[-2] == "message_done"
    done = events[-2]
    assert done["session_id"] == session_id and done["status"] == "complete"
    assert done["content"] == "".join(e["text"] for e in events if e["type"] == "token")
    assert events[-1] == {"type": "done", "session_id": session_id}
