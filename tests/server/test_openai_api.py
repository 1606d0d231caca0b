"""The OpenAI-compatible endpoint through the official ``openai`` package, against a real
uvicorn server with the embedded SmolLM2 model."""

from __future__ import annotations

import openai
import pytest

from tests.server.conftest import LiveServer

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _client(live: LiveServer, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key or live.token, max_retries=0)


def test_models_lists_the_local_model(live: LiveServer) -> None:
    models = _client(live).models.list()
    assert [m.id for m in models.data] == ["SmolLM2-135M-Instruct.Q4_1"]
    assert _client(live).models.retrieve("fireside").id == "fireside"
    with pytest.raises(openai.NotFoundError):
        _client(live).models.retrieve("gpt-4o")


def test_non_streaming_completion_is_answered_and_saved(live: LiveServer) -> None:
    raw = _client(live).chat.completions.with_raw_response.create(
        model="SmolLM2-135M-Instruct.Q4_1",
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=12,
    )
    completion = raw.parse()
    answer = completion.choices[0].message.content
    assert answer and answer.strip()
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    session_id = raw.headers["x-fireside-session"]
    saved = live.store.messages(session_id)
    assert [(m.role, m.content) for m in saved] == [("user", "Say hello."), ("assistant", answer)]


def test_streaming_completion_ends_with_usage(live: LiveServer) -> None:
    stream = _client(live).chat.completions.create(
        model="fireside",
        messages=[{"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "Count from one to five."}],
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length") and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


def test_wrong_key_and_unknown_model_are_openai_errors(live: LiveServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        _client(live, key="not-the-token").models.list()
    with pytest.raises(openai.NotFoundError) as caught:
        _client(live).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_found"
    assert caught.value.body["message"].startswith("the model 'gpt-4o' does not exist")


def test_a_session_continues_and_an_edited_history_forks(live: LiveServer) -> None:
    client = _client(live)
    first = client.chat.completions.with_raw_response.create(
        model="fireside", messages=[{"role": "user", "content": "My name is Ada."}],
        max_tokens=8,
    )
    session_id = first.headers["x-fireside-session"]
    answer = first.parse().choices[0].message.content
    history = [{"role": "user", "content": "My name is Ada."},
               {"role": "assistant", "content": answer}]
    # The whole history sent back, naming the session: the same session grows.
    second = client.chat.completions.with_raw_response.create(
        model="fireside", messages=[*history, {"role": "user", "content": "And yours?"}],
        max_tokens=8, extra_headers={"X-Fireside-Session": session_id},
    )
    assert second.headers["x-fireside-session"] == session_id
    # Only the new message, naming the session (body field): the stored history is used.
    third = client.chat.completions.with_raw_response.create(
        model="fireside", messages=[{"role": "user", "content": "Thanks."}],
        max_tokens=8, extra_body={"session_id": session_id},
    )
    assert third.headers["x-fireside-session"] == session_id
    roles = [m.role for m in live.store.messages(session_id)]
    assert roles == ["user", "assistant"] * 3
    # An edited history is never written over: a new session holds it.
    fork = client.chat.completions.with_raw_response.create(
        model="fireside",
        messages=[{"role": "user", "content": "My name is Grace."},
                  {"role": "assistant", "content": "Hello Grace."},
                  {"role": "user", "content": "Who am I?"}],
        max_tokens=8, extra_headers={"X-Fireside-Session": session_id},
    )
    forked = fork.headers["x-fireside-session"]
    assert forked != session_id
    assert [m.content for m in live.store.messages(forked)][:3] == [
        "My name is Grace.", "Hello Grace.", "Who am I?"]
    assert len(live.store.messages(session_id)) == 6


def test_unknown_session_is_404(live: LiveServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        _client(live).chat.completions.create(
            model="fireside", messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Fireside-Session": "doesnotexist"},
        )
    assert caught.value.code == "session_not_found"


def test_stop_sequence_cuts_the_answer(live: LiveServer) -> None:
    completion = _client(live).chat.completions.create(
        model="fireside", messages=[{"role": "user", "content": "Count: one, two, three, four"}],
        max_tokens=24, stop=[","],
    )
    assert "," not in (completion.choices[0].message.content or "")
    assert completion.choices[0].finish_reason == "stop"
