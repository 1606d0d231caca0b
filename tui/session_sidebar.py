"""The list of saved chats; choosing one posts :class:`SessionSelected`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ListItem, ListView

from assistant.sessions import Session
from tui.messages import SessionSelected


class SessionItem(ListItem):
    """One chat in the sidebar."""

    def __init__(self, session: Session) -> None:
        super().__init__(Label(session.title, markup=False, classes="title"))
        self.session_id = session.id
        self.title = session.title


class SessionSidebar(Vertical):
    """Saved chats, most recently used first; the current one is highlighted."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Vertical's
        super().__init__(*args, **kwargs)
        self._sessions: list[Session] = []
        self._current: str | None = None
        self._found: list[str] | None = None  # ids matching the find box, best first
        self._refreshing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        from tui.session_find import FindBox

        yield Label("Chats", classes="heading")
        yield FindBox()
        yield ListView(id="sessions")
        yield Label("No saved chats yet", id="no-sessions")

    @property
    def items(self) -> list[SessionItem]:
        return list(self.query_one(ListView).query_children(SessionItem))

    async def show_sessions(self, sessions: Sequence[Session], current: str | None) -> None:
        """Replace the list with ``sessions`` (only those the find box matched, while it
        has words) and highlight ``current``."""
        async with self._refreshing:  # a filter and a reload may both be under way
            self._sessions, self._current = list(sessions), current
            if self._found is not None:
                by_id = {s.id: s for s in sessions}
                sessions = [by_id[i] for i in self._found if i in by_id]
            view = self.query_one(ListView)
            await view.clear()
            await view.extend(SessionItem(s) for s in sessions)
            view.display = bool(sessions)
            label = self.query_one("#no-sessions", Label)
            label.update("No chat matches" if self._found is not None else "No saved chats yet")
            label.display = not sessions
            self.highlight(current)

    async def apply_filter(self, session_ids: Sequence[str] | None) -> None:
        """Show only ``session_ids`` in that order (None: every chat again)."""
        self._found = None if session_ids is None else list(session_ids)
        await self.show_sessions(self._sessions, self._current)

    def select(self, session_id: str) -> None:
        self.post_message(SessionSelected(session_id))

    def highlight(self, session_id: str | None) -> None:
        self._current = session_id
        view = self.query_one(ListView)
        ids = [item.session_id for item in self.items]
        for item in self.items:
            item.set_class(item.session_id == session_id, "-current")
        view.index = ids.index(session_id) if session_id in ids else None

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, SessionItem):
            self.post_message(SessionSelected(event.item.session_id))
