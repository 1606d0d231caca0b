"""Real-model tests: the embedded SmolLM2 GGUF through llama-cpp-python, in process.

Kept few and short (CI runs them on 2 cores). The model is loaded once per test session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ModelError
from assistant.events import ContextEvent, ErrorEvent, MessageDoneEvent, TokenEvent
from assistant.orchestrator import Orchestrator
from assistant.store import open_store
from providers.llama_cpp import LlamaCppProvider
from tests.support.llama import embedded_provider

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppProvider]:
    with embedded_provider(tmp_path_factory) as provider:
        yield provider


def _orchestrator(llama: LlamaCppProvider, **settings: object) -> Orchestrator:
    # Plain chat (tool turns with the real model are in tests/test_agent_loop_model.py).
    base = {"temperature": 0.0, "seed": 7, "max_tokens": 48, "tools": {"enabled": False}}
    base.update(settings)
    return Orchestrator(load_settings(**base), open_store(), provider_factory=lambda _s: llama)


def test_one_shot_chat_produces_text_and_saves_it(llama: LlamaCppProvider) -> None:
    orch = _orchestrator(llama)
    events = list(orch.run_turn("Say hello in one short sentence."))
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.content.strip()
    assert done.status == "complete"
    assert done.usage.prompt_tokens > 10 and done.usage.completion_tokens > 0
    assert done.timings.ttft_ms is not None and done.timings.ttft_ms > 0
    saved = orch.store.messages(done.session_id)
    assert [m.role for m in saved] == ["user", "assistant"]
    assert saved[1].content == done.content
    assert saved[1].model == "SmolLM2-135M-Instruct.Q4_1"


def test_streaming_yields_several_token_events(llama: LlamaCppProvider) -> None:
    orch = _orchestrator(llama, max_tokens=24)
    events = list(orch.run_turn("Count from one to ten in words."))
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert len(tokens) >= 5
    assert "".join(t.text for t in tokens) == done.content


def test_cancel_stops_generation_within_a_token(llama: LlamaCppProvider) -> None:
    orch = _orchestrator(llama, max_tokens=200)
    cancel = threading.Event()
    seen = 0
    done = None
    for event in orch.run_turn("Write a long story about a dragon.", cancel=cancel):
        if isinstance(event, TokenEvent):
            seen += 1
            if seen == 3:
                cancel.set()
        if isinstance(event, MessageDoneEvent):
            done = event
    assert done is not None
    assert done.status == "cancelled"
    assert seen == 3  # no token event after the cancel
    assert done.usage.completion_tokens <= 5
    saved = orch.store.messages(done.session_id)[-1]
    assert saved.status == "cancelled" and saved.content == done.content != ""


def test_second_turn_sees_the_first(llama: LlamaCppProvider) -> None:
    orch = _orchestrator(llama)
    first = [e for e in orch.run_turn("My name is Zorblax. Just say hello to me.")]
    session_id = next(e for e in first if isinstance(e, MessageDoneEvent)).session_id
    second = list(orch.run_turn("What is my name?", session_id=session_id))
    context = next(e for e in second if isinstance(e, ContextEvent))
    done = next(e for e in second if isinstance(e, MessageDoneEvent))
    assert context.messages == 4  # system, user, assistant, user
    assert "Zorblax" in done.content
    assert len(orch.store.messages(session_id)) == 4


def test_prompt_longer_than_context_is_a_clear_error(llama: LlamaCppProvider) -> None:
    orch = _orchestrator(llama)
    huge = "word " * 5000  # far past the 2048-token context
    events = list(orch.run_turn(huge))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors and "context" in errors[0].message
    assert "\n" not in errors[0].message
    # The user's message is kept even though it could not be answered.
    session_id = events[-1].session_id
    assert orch.store.messages(session_id)[0].content.startswith("word word")


def test_history_is_trimmed_oldest_first_with_real_token_counts(
    llama: LlamaCppProvider,
) -> None:
    orch = _orchestrator(llama, max_tokens=64)
    history = []
    for i in range(40):
        history.append({"role": "user", "content": f"Message {i}: " + "lorem ipsum " * 20})
        history.append({"role": "assistant", "content": f"Reply {i}."})
    history.append({"role": "user", "content": "Last question?"})
    fitted = orch.fit_prompt(history)
    assert fitted.dropped > 0
    assert fitted.prompt_tokens + 64 <= llama.context_size
    assert fitted.prompt_tokens == llama.count_tokens(fitted.messages)
    kept = fitted.messages[1:]
    assert kept[0]["role"] == "user" and kept[-1]["content"] == "Last question?"
    assert kept == history[fitted.dropped :]  # the newest messages, in order


def test_a_gguf_that_fails_to_load_is_a_model_error(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    provider = LlamaCppProvider(bogus, context_size=256)  # probe on: a crash stays outside
    with pytest.raises(ModelError) as info:
        provider.load()
    assert "broken.gguf" in str(info.value)
