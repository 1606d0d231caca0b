"""A router asks before a fallback turn goes to a hosted model: the TUI asks in a dialog."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from assistant.errors import HostedDeclinedError
from assistant.store import Store
from providers.base import ChatMessage, ConfirmHosted, Finish, GenerationOptions
from providers.router import HostedPreview
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import (
    SIZE,
    OrchestratorFor,
    answer_done,
    chat,
    last_answer,
    send,
    wait_for,
)
from tui.app import FiresideApp
from tui.dialogs import ConfirmDialog


class AskingProvider(ScriptedProvider):
    """Behaves like a fallback router: asks ``confirm`` before answering (as if hosted)."""

    def __init__(self, reply: str) -> None:
        super().__init__([reply])
        self.confirm: ConfirmHosted | None = None

    def route(
        self,
        messages: list[ChatMessage],
        reserve: Callable[[int], int],
        confirm: ConfirmHosted | None = None,
    ) -> None:
        self.confirm = confirm  # the turn's, as a router keeps it

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str | Finish]:
        assert self.confirm is not None, "the TUI did not pass the confirmation"
        preview = HostedPreview(
            model="cloud/model-x",
            reason="the local model could not load",
            messages=len(messages),
            characters=sum(len(m["content"]) for m in messages),
            estimated_tokens=self.count_tokens(messages),
        )
        if not self.confirm(preview):
            raise HostedDeclinedError("not sent to cloud/model-x: declined")
        yield from super().stream(messages, options, cancel)


async def test_send_in_the_dialog_lets_the_turn_go_hosted(
    orchestrator_for: OrchestratorFor, store: Store
) -> None:
    app = FiresideApp(orchestrator_for(AskingProvider("from the cloud")), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        assert "cloud/model-x" in str(app.screen.query_one(".dialog-title").render())
        await pilot.click("#ok")
        await answer_done(pilot)
        assert last_answer(pilot).text == "from the cloud"
        assert store.messages(store.list_sessions()[0].id)[-1].status == "complete"


async def test_keep_local_declines_and_the_answer_says_so(
    orchestrator_for: OrchestratorFor, store: Store
) -> None:
    app = FiresideApp(orchestrator_for(AskingProvider("never sent")), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("enter")  # "Keep local" has the focus
        await answer_done(pilot)
        answer = last_answer(pilot)
        assert answer.text == ""
        assert answer.has_class("-error")
        assert "declined" in str(answer.query_one(".note").render())
        saved = store.messages(store.list_sessions()[0].id)
        assert [m.content for m in saved if m.role == "assistant"] in ([], [""])


async def test_quitting_while_the_question_is_open_ends_the_turn(
    orchestrator_for: OrchestratorFor,
) -> None:
    app = FiresideApp(orchestrator_for(AskingProvider("never sent")), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        turns = chat(pilot).running_turns
        assert turns
        await pilot.press("ctrl+q")
    assert all(turn.finished.wait(5) for turn in turns)
