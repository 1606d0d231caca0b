"""Find chats by content: a search box at the top of the session list (Ctrl+F, or
``/find WORDS``). Typing filters the list to the chats whose messages match (FTS5 over every
message, imported chats included), best match first; Esc clears it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.widgets import Input

from assistant.errors import FiresideError
from tui.commands import CommandRegistry

if TYPE_CHECKING:
    from assistant.sessions import Sessions
    from tui.chat_screen import ChatScreen
    from tui.session_sidebar import SessionSidebar

MAX_FOUND = 200


class FindBox(Input):
    """The search box; hidden until used."""

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self) -> None:
        super().__init__(placeholder="Find in chats…", id="find")
        self.display = False

    @property
    def sidebar(self) -> SessionSidebar:
        from tui.session_sidebar import SessionSidebar

        return self.query_ancestor(SessionSidebar)

    def open(self, query: str | None = None) -> None:
        self.display = True
        self.sidebar.display = True
        if query is not None:
            self.value = query
        self.focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        query = event.value.strip()
        if not query:
            self.run_worker(self.sidebar.apply_filter(None), group="find", exclusive=True)
            return
        sessions = self.screen.sessions  # type: ignore[attr-defined]
        self.run_worker(lambda: self._search(sessions, query), thread=True, group="find",
                        exclusive=True)

    def _search(self, sessions: Sessions, query: str) -> None:
        try:
            hits = sessions.search(query, limit=MAX_FOUND)
        except FiresideError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        ids = [hit.session_id for hit in hits]
        self.app.call_from_thread(self.sidebar.apply_filter, ids)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        items = self.sidebar.items
        if items:  # Enter opens the best match
            self.sidebar.select(items[0].session_id)

    async def action_close(self) -> None:
        self.value = ""  # Input.Changed brings every chat back
        self.display = False
        from tui.prompt_input import PromptInput

        self.screen.query_one(PromptInput).focus()


def register(commands: CommandRegistry) -> None:
    @commands.command("find", "Find chats by what was said in them", usage="/find WORDS")
    def find(screen: ChatScreen, args: str) -> None:
        screen.query_one(FindBox).open(args)
