"""The session list's search box (Ctrl+F, /find): it filters chats by what was said in them,
imported chats included; Esc brings every chat back."""

from __future__ import annotations

from assistant.orchestrator import Orchestrator
from assistant.store import ImportedMessage, ImportedSession, Store, import_sessions
from tests.tui.conftest import SIZE, chat, seed_chats, send, wait_for
from tui.app import FiresideApp
from tui.session_find import FindBox
from tui.session_sidebar import SessionSidebar


def titles(app: FiresideApp) -> list[str]:
    return [item.title for item in app.query_one(SessionSidebar).items]


def _imported(store: Store) -> None:
    when = "2023-03-01T10:00:00.000+00:00"
    import_sessions(store, [ImportedSession("chatgpt", "c-1", "Sourdough help", when, when, [
        ImportedMessage("user", "Why is my sourdough flat?", when),
        ImportedMessage("assistant", "Your starter needs more time.", when, model="gpt-4o"),
    ])])


async def test_ctrl_f_filters_the_chats_by_content(
    orchestrator: Orchestrator, store: Store
) -> None:
    seed_chats(store)
    _imported(store)
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        assert len(titles(app)) == 3
        box = app.query_one(FindBox)
        assert not box.display
        await pilot.press("ctrl+f")
        assert box.display and box.has_focus
        await pilot.press(*"starter")
        await wait_for(pilot, lambda: titles(app) == ["Sourdough help"], "the filter")
        await pilot.press("enter")
        await wait_for(pilot, lambda: chat(pilot).status_bar.title == "Sourdough help",
                       "the best match opened")
        await pilot.press("ctrl+f", "escape")
        await wait_for(pilot, lambda: len(titles(app)) == 3, "every chat back")
        assert not box.display


async def test_find_command(orchestrator: Orchestrator, store: Store) -> None:
    seed_chats(store)
    _imported(store)
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/find lifetimes")
        await wait_for(pilot, lambda: titles(app) == ["Rust lifetimes"], "the filter")
        await send(pilot, "/find nothingmatchesthis")
        await wait_for(pilot, lambda: titles(app) == [], "no match")
        assert app.query_one("#no-sessions").display
