"""Fireside's /api/v1 (sessions, a turn as events) through the reference client, and client
tools through /v1, against a real uvicorn server with a scripted model."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.server.conftest import LiveServer, start_server
from tests.server.test_parts import _ToolCaller

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "python"))
from fireside_client import FiresideAPIError, FiresideClient  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    provider = _ToolCaller(["Hello from the scripted model."])
    background, server, mp = start_server(tmp_path_factory.mktemp("api-fireside"), provider)
    yield server
    background.stop()
    server.store.close()
    mp.undo()


@pytest.fixture
def client(live: LiveServer) -> Iterator[FiresideClient]:
    with FiresideClient.from_token_file(live.url, path=live.ctx.token.path) as c:
        yield c


def test_health_and_models(client: FiresideClient) -> None:
    health = client.health()
    assert health["status"] == "ok" and health["queue"]["size"] == 2
    assert client.models() == ["scripted"]


def test_a_turn_streams_the_tuis_events_and_is_a_session(client: FiresideClient) -> None:
    events = list(client.send_message("new", "Hello?", context="print('hi')"))
    types = [e["type"] for e in events]
    assert types[-2:] == ["message_done", "done"] and "context" in types
    assert "".join(e["text"] for e in events if e["type"] == "token") == (
        "Hello from the scripted model.")
    session_id = events[-1]["session_id"]
    assert client.last_session_id == session_id
    detail = client.session(session_id[:8])
    assert detail["session"]["id"] == session_id
    user, answer = detail["messages"]
    assert user["role"] == "user" and user["content"].startswith("```\nprint('hi')\n```")
    assert answer["content"] == "Hello from the scripted model."
    assert answer["status"] == "complete"
    assert any(s["id"] == session_id for s in client.sessions())
    # The next message continues the same session.
    more = list(client.send_message(session_id, "Again?"))
    assert more[-1]["session_id"] == session_id
    assert len(client.session(session_id)["messages"]) == 4


def test_a_turn_without_streaming(live: LiveServer) -> None:
    with live.client() as http:
        response = http.post("/api/v1/sessions/new/messages",
                             json={"content": "Hi", "stream": False})
    assert response.status_code == 200
    body = response.json()
    assert body["events"][-1] == {"type": "done", "session_id": body["session_id"]}


@pytest.mark.parametrize("body, status", [
    ({"content": ""}, 422),
    ({"content": "   "}, 422),
    ({"text": "hi"}, 422),
    ({"content": "hi", "model": "gpt-4o"}, 404),
])
def test_bad_turn_requests(live: LiveServer, body: dict, status: int) -> None:
    with live.client() as http:
        response = http.post("/api/v1/sessions/new/messages", json=body)
    assert response.status_code == status
    assert "error" in response.json()


def test_unknown_sessions_are_404(client: FiresideClient) -> None:
    with pytest.raises(FiresideAPIError) as caught:
        client.session("nosuchsession")
    assert caught.value.status == 404 and caught.value.error["code"] == "session_not_found"
    with pytest.raises(FiresideAPIError) as caught:
        list(client.send_message("nosuchsession", "hi"))
    assert caught.value.status == 404


def test_a_wrong_token_is_refused_by_the_client(live: LiveServer) -> None:
    with FiresideClient("not-the-token", live.url) as bad, pytest.raises(FiresideAPIError) as e:
        bad.sessions()
    assert e.value.status == 401


TOOLS = [{"type": "function", "function": {
    "name": "weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


def test_client_tools_come_back_as_tool_calls(live: LiveServer) -> None:
    api = openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.token, max_retries=0)
    completion = api.chat.completions.create(
        model="fireside", messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=TOOLS)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.id == "call_1" and call.function.name == "weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    stream = api.chat.completions.create(
        model="fireside", messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=TOOLS, stream=True)
    chunks = list(stream)
    deltas = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].index == 0 and deltas[0].function.name == "weather"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    # The tool's result goes back as a role "tool" message and is answered in text.
    follow = api.chat.completions.create(model="fireside", messages=[
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
    ])
    assert follow.choices[0].message.content == "Hello from the scripted model."


def test_a_bad_tools_list_is_400(live: LiveServer) -> None:
    with live.client() as http:
        response = http.post("/v1/chat/completions", json={
            "model": "fireside", "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function"}]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_messages"


def test_the_reference_client_covers_chat_index_and_search(
    client: FiresideClient, tmp_path: Path
) -> None:
    reply = client.chat([{"role": "user", "content": "hi"}], max_tokens=8)
    assert reply["choices"][0]["message"]["content"] == "Hello from the scripted model."
    session_id = client.last_session_id
    assert session_id
    chunks = list(client.chat_stream([{"role": "user", "content": "more"}],
                                     session_id=session_id))
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks
                   if c["choices"]) == "Hello from the scripted model."
    assert client.last_session_id == session_id
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.md").write_text("The kettle boils water for tea.\n")
    job = client.start_index(str(folder), embed=False)
    events = list(client.index_events(job["job_id"]))
    assert events[-1]["type"] == "end" and events[-1]["state"] == "done"
    assert client.index_job(job["job_id"])["summary"]["files"] == 1
    hits = client.search("kettle", mode="lexical", path=str(folder))
    assert [h["path"] for h in hits] == ["notes.md"]
