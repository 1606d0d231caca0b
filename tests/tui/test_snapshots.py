"""SVG snapshots of the layout (update with ``pytest tests/tui --snapshot-update``).

Deterministic by construction: the scripted provider, no warm-up thread, a fixed terminal
size, a seeded store, nothing time- or id-dependent on screen, and no blinking cursors.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input

from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.tui.conftest import SIZE, views, wait_for
from tui.app import FiresideApp
from tui.dialogs import RenameDialog
from tui.prompt_input import PromptInput

SnapCompare = Callable[..., bool]


def seed_conversation(store: Store) -> str:
    store.create_session("Sorting in Rust", "scripted")
    session = store.create_session("Lists in Python", "scripted").id
    store.add_message(session, "user", "What is a list in Python?")
    store.add_message(
        session,
        "assistant",
        "A **list** is an ordered, mutable sequence:\n\n"
        '```python\nfruits = ["apple", "pear"]\nfruits.append("fig")\n```\n\n'
        "Use a *tuple* when the items should not change.",
        model="scripted",
        tokens_per_s=57.3,
    )
    store.add_message(session, "user", "And a set?")
    store.add_message(
        session,
        "assistant",
        "A set holds unique items, with no",
        model="scripted",
        status="cancelled",
    )
    return session


async def _steady(pilot: Pilot) -> None:
    """Wait for the chat screen, and stop the prompt's cursor from blinking."""
    await wait_for(pilot, lambda: pilot.app.screen.query(PromptInput), "the chat screen")
    pilot.app.screen.query_one(PromptInput).cursor_blink = False
    await pilot.pause()


def test_empty_chat_screen(snap_compare: SnapCompare, orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_steady)


def test_a_conversation(
    snap_compare: SnapCompare, orchestrator: Orchestrator, store: Store
) -> None:
    session = seed_conversation(store)
    app = FiresideApp(orchestrator, session_id=session, warm_up=False)

    async def run_before(pilot: Pilot) -> None:
        await _steady(pilot)
        await wait_for(pilot, lambda: len(views(pilot)) == 4, "the history")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_rename_dialog(snap_compare: SnapCompare, orchestrator: Orchestrator, store: Store) -> None:
    session = seed_conversation(store)
    app = FiresideApp(orchestrator, session_id=session, warm_up=False)

    async def run_before(pilot: Pilot) -> None:
        await _steady(pilot)
        await wait_for(pilot, lambda: len(views(pilot)) == 4, "the history")
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RenameDialog), "the dialog")
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
