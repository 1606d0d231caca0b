"""The chat screen's list of chats: opening, starting, renaming and deleting chats, the
sidebar and the title in the status bar (a part of :class:`~tui.chat_screen.ChatScreen`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from assistant.errors import FiresideError
from tui.dialogs import ConfirmDialog, RenameDialog
from tui.messages import SessionSelected
from tui.prompt_input import PromptInput
from tui.session_sidebar import SessionSidebar
from tui.tool_support import show_saved_steps

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from assistant.orchestrator import Orchestrator
    from assistant.pins import Pin
    from assistant.sessions import Sessions
    from tui.message_list import MessageList
    from tui.status_bar import StatusBar

NEW_CHAT_TITLE = "New chat"
_W = TypeVar("_W")


class SessionActions:
    """Chat list actions; mixed into ChatScreen, whose state and widgets they use."""

    if TYPE_CHECKING:
        app: App[object]
        orchestrator: Orchestrator
        session_id: str | None
        pins: list[Pin]
        status_bar: StatusBar
        focused: Widget | None

        @property
        def sessions(self) -> Sessions: ...
        @property
        def message_list(self) -> MessageList: ...
        @property
        def answering(self) -> bool: ...
        def query_one(self, selector: type[_W]) -> _W: ...
        def refresh_bindings(self) -> None: ...
        def _tell(self, text: str, **kwargs: object) -> None: ...
        async def _leave_turn(self) -> None: ...

    async def refresh_sessions(self) -> None:
        """Reload the sidebar from the saved chats."""
        try:
            sessions = self.sessions.recent()
        except FiresideError as exc:
            self._tell(str(exc), title="Cannot list chats", severity="error")
            return
        await self.query_one(SessionSidebar).show_sessions(sessions, self.session_id)

    async def open_session(self, session_id: str) -> None:
        """Show a saved chat (its history, with stopped and failed answers marked)."""
        try:
            session = self.sessions.get(session_id)
            history = self.sessions.messages(session.id)
            sources = self.sessions.sources(session.id)
            steps = self.sessions.tool_steps(session.id)
        except FiresideError as exc:
            self._tell(str(exc), title="Cannot open that chat", severity="error")
            await self.refresh_sessions()
            return
        await self._leave_turn()
        self.session_id = session.id
        from assistant.context_inspect import session_pins

        self.pins = session_pins(self.orchestrator, session.id)
        self.status_bar.ctx = ""
        await self.message_list.show_history(history, sources)
        await show_saved_steps(self.message_list, history, steps)
        self.status_bar.title = session.title
        speeds = [m.tokens_per_s for m in history if m.role == "assistant" and m.tokens_per_s]
        self.status_bar.speed = speeds[-1] if speeds else None
        await self.refresh_sessions()
        self.refresh_bindings()
        self.query_one(PromptInput).focus()

    async def on_session_selected(self, message: SessionSelected) -> None:
        message.stop()
        if message.session_id == self.session_id:
            self.query_one(PromptInput).focus()
            return
        await self.open_session(message.session_id)

    async def action_new_session(self) -> None:
        """Start an empty chat; it is saved (and titled) when the first message is sent."""
        await self._leave_turn()
        self.session_id = None
        self.pins = []
        self.status_bar.ctx = ""
        await self.message_list.clear()
        self.status_bar.title = NEW_CHAT_TITLE
        self.status_bar.speed = None
        self.query_one(SessionSidebar).highlight(None)
        self.refresh_bindings()
        self.query_one(PromptInput).focus()

    def action_find_sessions(self) -> None:
        """Open the session list's search box (tui/session_find.py)."""
        from tui.session_find import FindBox

        self.query_one(FindBox).open()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(SessionSidebar)
        sidebar.display = not sidebar.display
        if not sidebar.display and self.focused is not None and sidebar in self.focused.ancestors:
            self.query_one(PromptInput).focus()

    def action_rename_session(self) -> None:
        session_id = self.session_id
        if session_id is None:
            self._tell("Send a message first: a new chat is saved when it starts.")
            return

        async def rename(title: str | None) -> None:
            if not title:
                return
            try:
                session = self.sessions.rename(session_id, title)
            except FiresideError as exc:
                self._tell(str(exc), title="Cannot rename the chat", severity="error")
                return
            if self.session_id == session.id:
                self.status_bar.title = session.title
            await self.refresh_sessions()

        self.app.push_screen(RenameDialog(self._current_title()), rename)

    def action_delete_session(self) -> None:
        session_id = self.session_id
        if session_id is None:
            self._tell("This chat is not saved yet; there is nothing to delete.")
            return
        if self.answering:
            self._tell("Stop the answer first (Esc), then delete the chat.", severity="warning")
            return
        title = self._current_title()
        count = len(self.message_list.views)

        async def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.sessions.delete(session_id)  # with its saved model state, if any
            except FiresideError as exc:
                self._tell(str(exc), title="Cannot delete the chat", severity="error")
                return
            self._tell(f"Deleted “{title}”.")
            if self.session_id == session_id:
                await self.action_new_session()
            await self.refresh_sessions()

        plural = "" if count == 1 else "s"
        detail = f"Its {count} message{plural} will be removed from this computer."
        self.app.push_screen(
            ConfirmDialog(f"Delete “{title}”?", detail, confirm_label="Delete"), delete
        )

    def _current_title(self) -> str:
        return self.status_bar.title

    def _show_title(self) -> None:
        if self.session_id is None:
            self.status_bar.title = NEW_CHAT_TITLE
            return
        try:
            self.status_bar.title = self.sessions.get(self.session_id).title
        except FiresideError:
            self.status_bar.title = NEW_CHAT_TITLE
