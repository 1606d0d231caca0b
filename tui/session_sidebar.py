"""The list of saved chats; choosing one posts :class:`SessionSelected`."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ListItem, ListView

from assistant.store import Session
from tui.messages import SessionSelected


class SessionItem(ListItem):
    """One chat in the sidebar."""

    def __init__(self, session: Session) -> None:
        super().__init__(Label(session.title, markup=False, classes="title"))
        self.session_id = session.id
        self.title = session.title


class SessionSidebar(Vertical):
    """Saved chats, most recently used first; the current one is highlighted."""

    def compose(self) -> ComposeResult:
        yield Label("Chats", classes="heading")
        yield ListView(id="sessions")
        yield Label("No saved chats yet", id="no-sessions")

    @property
    def items(self) -> list[SessionItem]:
        return list(self.query_one(ListView).query_children(SessionItem))

    async def show_sessions(self, sessions: Sequence[Session], current: str | None) -> None:
        """Replace the list with ``sessions`` and highlight ``current``."""
        view = self.query_one(ListView)
        await view.clear()
        await view.extend(SessionItem(s) for s in sessions)
        view.display = bool(sessions)
        self.query_one("#no-sessions").display = not sessions
        self.highlight(current)

    def highlight(self, session_id: str | None) -> None:
        view = self.query_one(ListView)
        ids = [item.session_id for item in self.items]
        for item in self.items:
            item.set_class(item.session_id == session_id, "-current")
        view.index = ids.index(session_id) if session_id in ids else None

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, SessionItem):
            self.post_message(SessionSelected(event.item.session_id))
