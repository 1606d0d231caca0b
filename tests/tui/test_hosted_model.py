"""Hosted turns are visible (a marker on the message, the status bar) and the model picker
(Ctrl+O) switches the following turns between the local model and configured hosted ones."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import OptionList

from assistant.config import HostedProviderConfig, load_settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers import models as models_module
from providers import router as router_module
from providers.router import RouterProvider, hosted_provider
from tests.support.fake_apis import Recorder, Sleeps, event_stream, openai_chunks
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, answer_done, chat, last_answer, send, views, wait_for
from tui.app import FiresideApp
from tui.dialogs import ConfirmDialog, ModelPicker
from tui.prompt_input import PromptInput

SECRET = "sk-tui-hosted-secret-42"
CONFIG = (
    '[providers.acme]\nkind = "openai"\nmodel = "gpt-4o-mini"\n'
    'base_url = "https://api.acme.test/v1"\nmodels = ["gpt-4.1"]\n'
)
USAGE = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)


def author(view: Any) -> str:
    return str(view.query_one(".author").render())


def hosted_reply(text: str) -> httpx.Response:
    return event_stream(openai_chunks(text.split("|"), usage=USAGE))


async def test_a_hosted_turn_is_marked_and_the_status_bar_shows_it_until_it_ends(
    settings: Any, store: Store
) -> None:
    gate = threading.Event()

    def slow(_request: httpx.Request) -> httpx.Response:
        gate.wait(10)  # hold the answer so the test can look at the screen meanwhile
        return hosted_reply("From |the cloud.")

    rec = Recorder(slow)
    config = HostedProviderConfig(
        kind="openai", model="gpt-4o-mini", base_url="https://api.acme.test/v1"
    )
    local = ScriptedProvider(["Local answer."], context_size=400)
    router = RouterProvider(
        "fallback",
        lambda: local,
        lambda: hosted_provider("acme", config, transport=rec.transport, sleep=Sleeps()),
    )
    app = FiresideApp(
        Orchestrator(settings, store, provider_factory=lambda _s: router), warm_up=False
    )
    async with app.run_test(size=SIZE) as pilot:
        bar = chat(pilot).status_bar
        assert (bar.model, bar.hosted) == ("scripted", False)
        # Too long for the local model's context: the fallback router sends it hosted.
        app.screen.query_one(PromptInput).text = " ".join(["word"] * 500)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.click("#ok")
        await wait_for(pilot, lambda: bar.hosted, "the status bar to show the hosted model")
        assert bar.model == "acme/gpt-4o-mini"
        assert "acme/gpt-4o-mini (hosted)" in str(bar.query_one("#model").render())
        answer = last_answer(pilot)
        assert answer.has_class("-hosted")
        gate.set()
        await answer_done(pilot)
        assert answer.text == "From the cloud."
        assert author(answer) == "via acme/gpt-4o-mini (hosted)"
        # The turn is over: the status bar is back on the local model.
        assert (bar.model, bar.hosted) == ("scripted", False)
        assert "(hosted)" not in str(bar.query_one("#model").render())

        await pilot.press("ctrl+n")
        await send(pilot, "hi")
        await answer_done(pilot)
        local_answer = last_answer(pilot)
        assert local_answer.text == "Local answer."
        assert not local_answer.has_class("-hosted")
        assert author(local_answer) == "scripted"
        assert (bar.model, bar.hosted) == ("scripted", False)


async def test_history_from_the_store_shows_the_hosted_marker(
    orchestrator: Orchestrator, store: Store
) -> None:
    session = store.create_session("Mixed", "scripted").id
    store.add_message(session, "user", "first")
    store.add_message(session, "assistant", "local one", model="scripted", provider="local")
    store.add_message(session, "user", "second")
    store.add_message(
        session, "assistant", "hosted one", model="acme/gpt-4o-mini", provider="acme",
        cost_usd=0.001,
    )
    store.add_message(session, "assistant", "old row", model="scripted")  # provider NULL
    app = FiresideApp(orchestrator, session_id=session, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(views(pilot)) == 5, "the history")
        answers = [v for v in views(pilot) if v.role == "assistant"]
        assert [v.has_class("-hosted") for v in answers] == [False, True, False]
        assert author(answers[1]) == "via acme/gpt-4o-mini (hosted)"
        assert author(answers[0]) == "scripted"


@pytest.fixture
def configured(fireside_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """config.toml with one OpenAI-compatible provider; the local model is scripted and the
    hosted one answers through a MockTransport (no network)."""
    folder = fireside_home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG)
    local = ScriptedProvider(["Local answer."])
    rec = Recorder(hosted_reply("Hosted |answer."))
    real = router_module.hosted_provider

    def with_fake_transport(*args: Any, **kwargs: Any) -> Any:
        return real(*args, transport=rec.transport, sleep=Sleeps(), **kwargs)

    monkeypatch.setattr(router_module, "hosted_provider", with_fake_transport)
    monkeypatch.setattr(models_module, "local_provider", lambda _settings: local)
    return {"local": local, "rec": rec}


def option_ids(app: FiresideApp) -> list[str | None]:
    options = app.screen.query_one(OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def open_picker(pilot: Any) -> ModelPicker:
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ModelPicker), "the picker")
    screen = pilot.app.screen
    assert isinstance(screen, ModelPicker)
    return screen


async def test_picking_a_hosted_model_sends_the_next_turns_there_and_local_brings_it_back(
    configured: dict[str, Any], store: Store
) -> None:
    orchestrator = Orchestrator(load_settings(), store)  # the real router, as in production
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        bar = chat(pilot).status_bar
        assert (bar.model, bar.hosted) == ("scripted", False)
        picker = await open_picker(pilot)
        assert option_ids(app) == ["local", "acme/gpt-4o-mini", "acme/gpt-4.1"]
        options = picker.query_one(OptionList)
        assert options.highlighted == 0  # the model in use
        text = str(options.get_option_at_index(1).prompt)
        assert "openai" in text and "key acme: env" in text and SECRET not in text
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: bar.model == "acme/gpt-4.1" and bar.state == "ready",
                       "the picked model")
        assert bar.hosted
        assert orchestrator.settings.policy == "hosted"
        assert orchestrator.settings.hosted_model == "acme/gpt-4.1"

        await send(pilot, "hi")
        await answer_done(pilot)
        answer = last_answer(pilot)
        assert answer.text == "Hosted answer."
        assert author(answer) == "via acme/gpt-4.1 (hosted)"
        assert configured["rec"].body()["model"] == "gpt-4.1"
        assert (bar.model, bar.hosted) == ("acme/gpt-4.1", True)  # still the chosen one
        saved = store.messages(store.list_sessions()[0].id)[-1]
        assert (saved.provider, saved.model) == ("acme", "acme/gpt-4.1")
        assert configured["local"].requests == []

        picker = await open_picker(pilot)
        assert picker.query_one(OptionList).highlighted == 2
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: bar.model == "scripted" and bar.state == "ready",
                       "the local model")
        assert not bar.hosted
        await send(pilot, "and locally?")
        await answer_done(pilot)
        assert last_answer(pilot).text == "Local answer."
        assert not last_answer(pilot).has_class("-hosted")
        assert len(configured["local"].requests) == 1
        assert len(configured["rec"].requests) == 1


async def test_picker_escape_keeps_the_model_and_says_when_nothing_is_hosted(
    orchestrator: Orchestrator,
) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(pilot)
        assert option_ids(app) == ["local"]
        details = [str(label.render()) for label in picker.query(".dialog-detail")]
        assert any("No hosted models" in d for d in details)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModelPicker), "the picker")
        assert chat(pilot).status_bar.model == "scripted"
        assert orchestrator.settings.policy == "local"


def seed_mixed(store: Store) -> str:
    session = store.create_session("Mixed answers", "scripted").id
    store.add_message(session, "user", "Explain generators")
    store.add_message(session, "assistant", "They yield values lazily.", model="scripted",
                      provider="local")
    store.add_message(session, "user", "Longer, please")
    store.add_message(session, "assistant", "A generator function returns an iterator…",
                      model="acme/gpt-4o-mini", provider="acme", cost_usd=0.0001)
    return session


async def _history_on_screen(pilot: Any) -> None:
    await wait_for(pilot, lambda: pilot.app.screen.query(PromptInput), "the chat screen")
    pilot.app.screen.query_one(PromptInput).cursor_blink = False
    await wait_for(pilot, lambda: len(views(pilot)) == 4, "the history")
    await pilot.pause()


def test_a_chat_with_a_hosted_answer(
    snap_compare: Callable[..., bool], configured: dict[str, Any], store: Store
) -> None:
    """Layout: the hosted answer's marker next to a local one."""
    app = FiresideApp(
        Orchestrator(load_settings(), store), session_id=seed_mixed(store), warm_up=False
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=_history_on_screen)


def test_the_model_picker(
    snap_compare: Callable[..., bool], configured: dict[str, Any], store: Store
) -> None:
    """Layout: the picker listing the local model and the configured hosted ones."""
    app = FiresideApp(
        Orchestrator(load_settings(), store), session_id=seed_mixed(store), warm_up=False
    )

    async def run_before(pilot: Any) -> None:
        await _history_on_screen(pilot)
        await open_picker(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


class HeldProvider(ScriptedProvider):
    """Streams one word, then holds (ignoring Esc) until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__(["first then more"])
        self.release = threading.Event()

    def stream(self, messages: Any, options: Any, cancel: threading.Event) -> Any:
        for item in super().stream(messages, options, threading.Event()):
            yield item
            self.release.wait(10)


async def test_no_model_switch_while_a_stopped_answer_still_runs(
    orchestrator_for: Any, store: Store
) -> None:
    held = HeldProvider()
    orchestrator = orchestrator_for(held)
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hi")
        await wait_for(pilot, lambda: held.started.is_set(), "the answer to start")
        await pilot.press("ctrl+n")  # leave the chat: its answer is stopped but still running
        assert chat(pilot).running_turns and not chat(pilot).answering
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not isinstance(app.screen, ModelPicker)
        assert any("still stopping" in n.message for n in app._notifications)
        held.release.set()
        await wait_for(pilot, lambda: not chat(pilot).running_turns, "the answer to end")
        await open_picker(pilot)
