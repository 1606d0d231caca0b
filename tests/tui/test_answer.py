"""Asking, streaming, stopping and failing — the answer's life cycle through the real UI."""

from __future__ import annotations

from textual import events

from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import (
    SIZE,
    OrchestratorFor,
    answer_done,
    chat,
    last_answer,
    notices,
    send,
    views,
    wait_for,
)
from tui.app import FiresideApp
from tui.prompt_input import PromptInput
from tui.session_sidebar import SessionSidebar

LONG_REPLY = " ".join(f"word{i}" for i in range(200))


async def test_enter_sends_and_the_scripted_reply_streams_in(
    orchestrator: Orchestrator, store: Store
) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is app.query_one(PromptInput)
        await send(pilot, "hello there")
        await answer_done(pilot)

        answer = last_answer(pilot)
        assert answer.text == "Hello there, I am scripted."
        assert answer.query_one("Markdown").source == "Hello there, I am scripted."  # type: ignore[attr-defined]
        assert [(v.role, v.text) for v in views(pilot)] == [
            ("user", "hello there"),
            ("assistant", "Hello there, I am scripted."),
        ]
        assert app.query_one(PromptInput).text == ""

        sessions = store.list_sessions()
        assert [s.title for s in sessions] == ["hello there"]
        saved = store.messages(sessions[0].id)
        assert [(m.role, m.content, m.status) for m in saved] == [
            ("user", "hello there", "complete"),
            ("assistant", "Hello there, I am scripted.", "complete"),
        ]
        assert chat(pilot).session_id == sessions[0].id
        assert chat(pilot).status_bar.title == "hello there"


async def test_ctrl_j_adds_a_line_instead_of_sending(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "ctrl+j", "b")
        await pilot.pause()
        assert app.query_one(PromptInput).text == "a\nb"
        assert views(pilot) == []
        await pilot.press("enter")
        await answer_done(pilot)
        assert views(pilot)[0].text == "a\nb"


async def test_escape_stops_the_answer_and_keeps_the_partial_text(
    orchestrator_for: OrchestratorFor, store: Store
) -> None:
    provider = ScriptedProvider([LONG_REPLY], delay=0.05)
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "count")
        await wait_for(pilot, lambda: len(last_answer(pilot).text.split()) >= 3, "a few words")
        # The new chat is listed while its first answer is still arriving.
        assert [item.title for item in app.query_one(SessionSidebar).items] == ["count"]
        await pilot.press("escape")
        await answer_done(pilot)

        answer = last_answer(pilot)
        partial = answer.text
        assert LONG_REPLY.startswith(partial)
        assert 3 <= len(partial.split()) < 50
        assert answer.has_class("-cancelled")
        assert answer.query_one(".note").render().plain == "[stopped]"  # type: ignore[attr-defined]

        saved = store.messages(store.list_sessions()[0].id)[-1]
        assert (saved.role, saved.status, saved.content) == ("assistant", "cancelled", partial)

        # Nothing more arrives after the stop: give a stray generator time to show itself.
        await pilot.pause(10 * provider.delay)
        assert last_answer(pilot).text == partial
        assert answer.query_one("Markdown").source == partial  # type: ignore[attr-defined]
        assert len(store.messages(saved.session_id)) == 2


async def test_a_second_prompt_waits_for_the_running_answer(
    orchestrator_for: OrchestratorFor,
) -> None:
    provider = ScriptedProvider([LONG_REPLY], delay=0.05)
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await wait_for(pilot, lambda: last_answer(pilot).text, "the answer to start")
        await send(pilot, "second")
        assert app.query_one(PromptInput).text == "second"
        assert any("Still answering" in n for n in notices(pilot))
        assert [v.role for v in views(pilot)] == ["user", "assistant"]
        await pilot.press("escape")
        await answer_done(pilot)


async def test_a_failure_mid_answer_is_shown_and_saved(
    orchestrator_for: OrchestratorFor, store: Store
) -> None:
    provider = ScriptedProvider(["one two three four five"], fail_after=2)
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "go")
        await answer_done(pilot)

        answer = last_answer(pilot)
        assert answer.text == "one two"
        assert answer.has_class("-error")
        note = answer.query_one(".note").render().plain  # type: ignore[attr-defined]
        assert "scripted failure mid-answer" in note
        assert any("scripted failure mid-answer" in n for n in notices(pilot))

        saved = store.messages(store.list_sessions()[0].id)[-1]
        assert (saved.status, saved.content) == ("error", "one two")
        assert app.is_running


async def test_a_model_that_does_not_load_is_reported_and_the_app_keeps_running(
    orchestrator_for: OrchestratorFor,
) -> None:
    provider = ScriptedProvider(fail_load="model file not found: x.gguf")
    app = FiresideApp(orchestrator_for(provider), warm_up=True)
    async with app.run_test(size=SIZE) as pilot:
        status = chat(pilot).status_bar
        await wait_for(pilot, lambda: status.state == "model failed to load", "the failure")
        assert any("model file not found: x.gguf" in n for n in notices(pilot))
        assert status.kind == "failed"

        # The app still works: the prompt is taken and the failure shows on the answer.
        await send(pilot, "hello")
        await answer_done(pilot)
        answer = last_answer(pilot)
        assert answer.has_class("-error")
        assert "model file not found" in answer.query_one(".note").render().plain  # type: ignore[attr-defined]
        assert app.is_running


async def test_warm_up_loads_the_model_and_says_ready(
    orchestrator_for: OrchestratorFor,
) -> None:
    provider = ScriptedProvider(["hi"])
    app = FiresideApp(orchestrator_for(provider), warm_up=True)
    async with app.run_test(size=SIZE) as pilot:
        status = chat(pilot).status_bar
        await wait_for(pilot, lambda: status.state == "ready" and provider.loaded, "warm-up")
        assert status.model == "scripted"


async def test_ctrl_y_copies_the_last_answer(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        assert app.clipboard == ""
        assert any("no answer to copy" in n for n in notices(pilot))

        await send(pilot, "hello")
        await answer_done(pilot)
        await pilot.press("ctrl+y")
        assert app.clipboard == "Hello there, I am scripted."
        assert any("Copied" in n for n in notices(pilot))


async def test_status_events_are_shown(orchestrator_for: OrchestratorFor) -> None:
    # A short context makes the orchestrator drop old messages and say so.
    provider = ScriptedProvider(["a reply"], context_size=256)
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            app.query_one(PromptInput).insert(" ".join(["word"] * 60))
            await pilot.press("enter")
            await answer_done(pilot)
        assert any("dropped the" in n for n in notices(pilot))
        assert chat(pilot).status_bar.state == "ready"


async def test_a_burst_of_keys_keeps_their_order(orchestrator: Orchestrator) -> None:
    # Keys read from the terminal in one go arrive together; nothing may be reordered or lost.
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        burst = [("a", "a"), ("ctrl+j", None), ("b", "b"), ("enter", None)]
        burst += [(c, c) for c in "next"]
        for key, char in burst:
            app.post_message(events.Key(key, char))
        await answer_done(pilot)
        assert views(pilot)[0].text == "a\nb"
        assert app.query_one(PromptInput).text == "next"
