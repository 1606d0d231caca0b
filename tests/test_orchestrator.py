"""The turn logic with a scripted provider: persistence however a turn ends, trimming, events."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from assistant.config import load_settings
from assistant.errors import SessionNotFoundError
from assistant.events import (
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    MessageDoneEvent,
    StatusEvent,
    TokenEvent,
    to_dict,
)
from assistant.orchestrator import Orchestrator, compose_user_message, title_for
from assistant.store import Store
from providers.base import Finish, GenerationOptions
from tests.support.scripted import ScriptedProvider


def _done(events: list) -> MessageDoneEvent:
    return next(e for e in events if isinstance(e, MessageDoneEvent))


def test_turn_streams_saves_both_messages_and_ends_with_done(
    orchestrator: Orchestrator, store: Store
) -> None:
    events = list(orchestrator.run_turn("How do I reverse a list?"))
    assert isinstance(events[-1], DoneEvent)
    tokens = [e.text for e in events if isinstance(e, TokenEvent)]
    assert "".join(tokens) == "Hello there, I am scripted."
    done = _done(events)
    assert done.status == "complete" and done.finish_reason == "stop"
    session = store.get_session(done.session_id)
    assert session.title == "How do I reverse a list?"
    messages = store.messages(done.session_id)
    assert [(m.role, m.status) for m in messages] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert messages[1].completion_tokens == len(tokens)
    assert messages[1].model == "scripted"


def test_events_have_a_stable_json_shape(orchestrator: Orchestrator) -> None:
    events = [to_dict(e) for e in orchestrator.run_turn("hi")]
    assert [e["type"] for e in events][:2] == ["status", "context"]
    assert events[-1] == {"type": "done", "session_id": events[-1]["session_id"]}
    done = next(e for e in events if e["type"] == "message_done")
    assert set(done["usage"]) == {"prompt_tokens", "completion_tokens"}
    assert set(done["timings"]) == {"ttft_ms", "tokens_per_s", "total_ms"}


def test_next_turn_sends_the_history(
    orchestrator: Orchestrator, scripted: ScriptedProvider
) -> None:
    scripted.replies = ["First answer.", "Second answer."]
    session_id = _done(list(orchestrator.run_turn("first question"))).session_id
    list(orchestrator.run_turn("second question", session_id=session_id[:6]))
    sent = scripted.requests[-1]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "first question"
    assert sent[2]["content"] == "First answer."
    assert sent[3]["content"] == "second question"


def test_unknown_session_fails_before_anything_is_saved(
    orchestrator: Orchestrator, store: Store
) -> None:
    with pytest.raises(SessionNotFoundError):
        list(orchestrator.run_turn("hello", session_id="nope"))
    assert store.list_sessions() == []


def test_model_load_failure_is_an_error_event_and_keeps_the_question(
    settings, store: Store
) -> None:
    provider = ScriptedProvider(fail_load="model file not found: /x.gguf")
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    events = list(orch.run_turn("keep me"))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.message for e in errors] == ["model file not found: /x.gguf"]
    assert isinstance(events[-1], DoneEvent)
    assert [m.content for m in store.messages(events[-1].session_id)] == ["keep me"]


def test_failure_mid_answer_keeps_the_partial_answer(settings, store: Store) -> None:
    provider = ScriptedProvider(["one two three four five"], fail_after=2)
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    events = list(orch.run_turn("go"))
    error = next(e for e in events if isinstance(e, ErrorEvent))
    assert "partial answer saved" in error.message
    done = _done(events)
    assert done.status == "error" and done.content == "one two"
    assert store.messages(done.session_id)[-1].status == "error"


def test_cancel_keeps_the_partial_answer_marked(settings, store: Store) -> None:
    provider = ScriptedProvider(["a b c d e f g h i j"])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    cancel = threading.Event()
    texts = []
    for event in orch.run_turn("go", cancel=cancel):
        if isinstance(event, TokenEvent):
            texts.append(event.text)
            if len(texts) == 3:
                cancel.set()
    saved = store.messages(store.list_sessions()[0].id)[-1]
    assert saved.status == "cancelled" and saved.finish_reason == "cancelled"
    assert saved.content == "a b c" == "".join(texts)


def test_ctrl_c_inside_generation_saves_the_partial_answer(settings, store: Store) -> None:
    class Interrupting(ScriptedProvider):
        def stream(self, messages, options: GenerationOptions, cancel) -> Iterator[str | Finish]:
            yield "partial"
            raise KeyboardInterrupt

    orch = Orchestrator(settings, store, provider_factory=lambda _s: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        list(orch.run_turn("go"))
    saved = store.messages(store.list_sessions()[0].id)
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", "go", "complete"),
        ("assistant", "partial", "cancelled"),
    ]


def test_old_turns_are_dropped_to_fit_and_the_user_is_told(store: Store) -> None:
    settings = load_settings(max_tokens=64)
    provider = ScriptedProvider(context_size=300)
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    session = store.create_session("long")
    for i in range(20):
        store.add_message(session.id, "user", f"question {i} " + "pad " * 20)
        store.add_message(session.id, "assistant", f"answer {i}")
    events = list(orch.run_turn("newest question", session_id=session.id))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert context.dropped_messages > 0
    assert any(isinstance(e, StatusEvent) and "dropped" in e.text for e in events)
    sent = provider.requests[-1]
    assert sent[0]["role"] == "system" and sent[1]["role"] == "user"
    assert sent[-1]["content"] == "newest question"
    assert provider.count_tokens(sent) + 64 <= 300


def test_a_message_too_long_for_the_context_is_a_clear_error(store: Store) -> None:
    provider = ScriptedProvider(context_size=300)
    orch = Orchestrator(load_settings(), store, provider_factory=lambda _s: provider)
    events = list(orch.run_turn("word " * 400))
    error = next(e for e in events if isinstance(e, ErrorEvent))
    assert "context" in error.message and "\n" not in error.message
    assert provider.requests == []  # nothing was generated


def test_system_prompt_comes_from_settings_or_the_packaged_default(store: Store) -> None:
    default = Orchestrator(load_settings(), store).system_prompt()
    assert "Fireside" in default
    custom = Orchestrator(load_settings(system_prompt="Answer in French."), store)
    assert custom.system_prompt() == "Answer in French."


def test_piped_context_is_fenced_before_the_question() -> None:
    text = compose_user_message("explain", "def f():\n    return 1\n")
    assert text == "```\ndef f():\n    return 1\n```\n\nexplain"
    assert compose_user_message("q", "has ``` inside").startswith("````\n")
    assert compose_user_message("q", "   ") == "q"


def test_titles_are_one_short_line() -> None:
    assert title_for("  a\nb  ") == "a b"
    assert len(title_for("x" * 500)) == 60


def test_an_unanswered_question_is_joined_with_the_next_so_roles_alternate(
    settings, store: Store
) -> None:
    failing = ScriptedProvider(fail_load="model file not found: /x.gguf")
    orch = Orchestrator(settings, store, provider_factory=lambda _s: failing)
    session_id = list(orch.run_turn("first try"))[-1].session_id
    working = ScriptedProvider(["ok"])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: working)
    list(orch.run_turn("second try", session_id=session_id))
    sent = working.requests[-1]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[1]["content"] == "first try\n\nsecond try"
    # Both questions stay saved as they were typed.
    assert [m.content for m in store.messages(session_id)][:2] == ["first try", "second try"]
