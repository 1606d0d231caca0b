"""TUI test helpers: apps over the scripted provider, and waiting on app state (not on time).

``async def`` tests here run in a fresh event loop each (``asyncio.run``), so no async pytest
plugin is needed.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from assistant.config import Settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tui.app import FiresideApp
from tui.chat_screen import ChatScreen
from tui.message_list import MessageList, MessageView

SIZE = (100, 32)

OrchestratorFor = Callable[[ScriptedProvider], Orchestrator]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with ``asyncio.run``."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def orchestrator_for(settings: Settings, store: Store) -> OrchestratorFor:
    """An Orchestrator over the given scripted provider (and the test's store)."""

    def build(provider: ScriptedProvider) -> Orchestrator:
        return Orchestrator(settings, store, provider_factory=lambda _s: provider)

    return build


async def wait_for(
    pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = 10.0
) -> None:
    """Let the app run until ``condition()`` holds; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def chat(pilot: Pilot) -> ChatScreen:
    app = pilot.app
    assert isinstance(app, FiresideApp)
    return app.chat


def views(pilot: Pilot) -> list[MessageView]:
    return chat(pilot).query_one(MessageList).views


def last_answer(pilot: Pilot) -> MessageView:
    answer = chat(pilot).query_one(MessageList).last_answer()
    assert answer is not None, "no assistant message on screen"
    return answer


async def send(pilot: Pilot, text: str) -> None:
    """Type ``text`` into the prompt and press Enter."""
    await pilot.press(*text)
    await pilot.press("enter")


async def answer_done(pilot: Pilot) -> None:
    """Wait until the running answer's worker has returned and the screen has settled."""
    screen = chat(pilot)
    await wait_for(
        pilot,
        lambda: not screen.answering and not screen.running_turns,
        "the answer to finish",
    )
    await pilot.pause()


def notices(pilot: Pilot) -> list[str]:
    return [n.message for n in pilot.app._notifications]


def seed_chats(store: Store) -> tuple[str, str]:
    """Two saved chats, oldest first: a finished one, and one with a stopped and a failed answer.

    Returns their ids (``lists``, ``rust``); the sidebar lists ``rust`` first.
    """
    lists = store.create_session("Lists in Python", "scripted").id
    store.add_message(lists, "user", "What is a list?")
    store.add_message(
        lists,
        "assistant",
        "A list is an **ordered, mutable** sequence:\n\n```python\nxs = [1, 2, 3]\n```",
        model="scripted",
        tokens_per_s=42.5,
    )
    rust = store.create_session("Rust lifetimes", "scripted").id
    store.add_message(rust, "user", "Explain lifetimes")
    store.add_message(
        rust, "assistant", "Lifetimes describe how long", model="scripted", status="cancelled"
    )
    store.add_message(rust, "user", "Go on")
    store.add_message(rust, "assistant", "They", model="scripted", status="error")
    return lists, rust
