"""Chats: the sidebar, switching, a new chat, renaming and deleting through the dialogs."""

from __future__ import annotations

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
    seed_chats,
    send,
    views,
    wait_for,
)
from tui.app import FiresideApp
from tui.dialogs import ConfirmDialog, RenameDialog
from tui.prompt_input import PromptInput
from tui.session_sidebar import SessionItem, SessionSidebar


def sidebar_titles(app: FiresideApp) -> list[str]:
    return [item.title for item in app.query_one(SessionSidebar).items]


def current_items(app: FiresideApp) -> list[str]:
    return [i.title for i in app.query_one(SessionSidebar).items if i.has_class("-current")]


def item_for(app: FiresideApp, session_id: str) -> SessionItem:
    return next(i for i in app.query_one(SessionSidebar).items if i.session_id == session_id)


async def test_the_sidebar_lists_saved_chats_and_switching_shows_their_history(
    orchestrator: Orchestrator, store: Store
) -> None:
    lists, rust = seed_chats(store)
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        assert sidebar_titles(app) == ["Rust lifetimes", "Lists in Python"]
        assert views(pilot) == []

        await pilot.click(item_for(app, rust))
        await wait_for(pilot, lambda: chat(pilot).session_id == rust, "the switch")
        shown = views(pilot)
        assert [(v.role, v.text) for v in shown] == [
            ("user", "Explain lifetimes"),
            ("assistant", "Lifetimes describe how long"),
            ("user", "Go on"),
            ("assistant", "They"),
        ]
        assert shown[1].has_class("-cancelled")
        assert shown[1].query_one(".note").render().plain == "[stopped]"  # type: ignore[attr-defined]
        assert shown[3].has_class("-error")
        assert not shown[0].has_class("-cancelled") and not shown[0].has_class("-error")
        assert chat(pilot).status_bar.title == "Rust lifetimes"
        assert current_items(app) == ["Rust lifetimes"]
        assert app.focused is app.query_one(PromptInput)

        # Keyboard: focus the list, move down to the other chat, Enter.
        app.query_one("#sessions").focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: chat(pilot).session_id == lists, "the second switch")
        assert [v.text for v in views(pilot)][0] == "What is a list?"
        assert chat(pilot).status_bar.speed == 42.5

        # A new message continues the chat on screen, with its history.
        await send(pilot, "And tuples?")
        await answer_done(pilot)
        assert [m.content for m in store.messages(lists)][-2:] == [
            "And tuples?",
            "Hello there, I am scripted.",
        ]
        assert sidebar_titles(app)[0] == "Lists in Python"


async def test_opening_the_app_on_a_session_shows_it(
    orchestrator: Orchestrator, store: Store
) -> None:
    lists, _ = seed_chats(store)
    app = FiresideApp(orchestrator, session_id=lists[:6], warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: views(pilot), "the history")
        assert chat(pilot).session_id == lists
        assert [v.role for v in views(pilot)] == ["user", "assistant"]
        assert current_items(app) == ["Lists in Python"]


async def test_an_unknown_session_id_is_reported_and_a_new_chat_starts(
    orchestrator: Orchestrator,
) -> None:
    app = FiresideApp(orchestrator, session_id="nope", warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notices(pilot), "a notice")
        assert any("no session 'nope'" in n for n in notices(pilot))
        assert chat(pilot).session_id is None
        assert app.is_running


async def test_ctrl_n_starts_a_new_chat_saved_on_its_first_message(
    orchestrator: Orchestrator, store: Store
) -> None:
    lists, rust = seed_chats(store)
    app = FiresideApp(orchestrator, session_id=lists, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: views(pilot), "the history")
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = chat(pilot)
        assert views(pilot) == []
        assert screen.query_one("#empty-hint").display
        assert screen.session_id is None
        assert screen.status_bar.title == "New chat"
        assert current_items(app) == []
        assert len(store.list_sessions()) == 2  # nothing saved until the first message

        await send(pilot, "fresh question")
        await answer_done(pilot)
        sessions = store.list_sessions()
        assert len(sessions) == 3
        new = sessions[0]
        assert new.title == "fresh question" and new.id not in (lists, rust)
        assert screen.session_id == new.id
        assert sidebar_titles(app)[0] == "fresh question"
        assert current_items(app) == ["fresh question"]
        assert [m.content for m in store.messages(new.id)] == [
            "fresh question",
            "Hello there, I am scripted.",
        ]


async def test_f2_renames_the_chat_through_a_dialog(
    orchestrator: Orchestrator, store: Store
) -> None:
    lists, _ = seed_chats(store)
    app = FiresideApp(orchestrator, session_id=lists, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: views(pilot), "the history")

        # Esc cancels.
        await pilot.press("f2")
        assert isinstance(app.screen, RenameDialog)
        await pilot.press(*"ignored")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RenameDialog)
        assert store.get_session(lists).title == "Lists in Python"

        # The old title is selected, so typing replaces it; Enter accepts.
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press(*"Python lists")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Python lists" in sidebar_titles(app), "the new title")
        assert store.get_session(lists).title == "Python lists"
        assert chat(pilot).status_bar.title == "Python lists"
        assert app.focused is app.query_one(PromptInput)


async def test_a_new_chat_has_nothing_to_rename_or_delete(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2", "ctrl+d")
        await pilot.pause()
        assert not isinstance(app.screen, (RenameDialog, ConfirmDialog))
        assert len(notices(pilot)) == 2


async def test_ctrl_d_deletes_the_chat_after_confirmation(
    orchestrator: Orchestrator, store: Store
) -> None:
    lists, rust = seed_chats(store)
    app = FiresideApp(orchestrator, session_id=rust, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: views(pilot), "the history")

        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # Cancel has the focus: Enter keeps the chat
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert len(store.list_sessions()) == 2

        await pilot.press("ctrl+d")
        await pilot.click("#ok")
        await wait_for(pilot, lambda: sidebar_titles(app) == ["Lists in Python"], "the delete")
        assert [s.id for s in store.list_sessions()] == [lists]
        assert chat(pilot).session_id is None
        assert views(pilot) == []
        assert any("Deleted “Rust lifetimes”" in n for n in notices(pilot))


async def test_switching_chats_mid_answer_stops_it_and_keeps_the_new_chat_clean(
    orchestrator_for: OrchestratorFor, store: Store
) -> None:
    reply = " ".join(f"w{i}" for i in range(200))
    lists, _ = seed_chats(store)
    app = FiresideApp(orchestrator_for(ScriptedProvider([reply], delay=0.05)), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "long one")
        await wait_for(pilot, lambda: last_answer(pilot).text, "the answer to start")
        await pilot.click(item_for(app, lists))
        await wait_for(pilot, lambda: not chat(pilot).running_turns, "the old answer to stop")
        await pilot.pause()

        assert chat(pilot).session_id == lists
        assert [v.text for v in views(pilot)][0] == "What is a list?"
        assert len(views(pilot)) == 2
        new = next(s for s in store.list_sessions() if s.title == "long one")
        answer = store.messages(new.id)[-1]
        assert answer.status == "cancelled" and reply.startswith(answer.content)
        assert "long one" in sidebar_titles(app)


async def test_a_narrow_terminal_starts_with_the_sidebar_hidden(
    orchestrator: Orchestrator,
) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=(70, 24)) as pilot:
        sidebar = app.query_one(SessionSidebar)
        assert not sidebar.display
        await pilot.press("ctrl+b")
        assert sidebar.display
        await pilot.press("ctrl+b")
        assert not sidebar.display
