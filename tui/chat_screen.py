"""The chat screen: sidebar of chats, the conversation, the prompt, and the status bar.

It sends intents to the orchestrator and renders the events that come back; answers run in
a thread worker whose events are posted back to this screen as messages, in order.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import get_current_worker

from assistant.context_report import status_text
from assistant.errors import FiresideError
from assistant.events import (
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    MessageDoneEvent,
    StatusEvent,
    TokenEvent,
)
from tui.api_server import queued
from tui.chat_sessions import SessionActions
from tui.commands import default_commands, unescape
from tui.dialogs import ConfirmDialog, ModelPicker
from tui.message_list import MessageList, MessageView
from tui.messages import (
    AnswerCancelled,
    AnswerEnded,
    AnswerEventReceived,
    ModelPicked,
    PromptSubmitted,
)
from tui.output_block import OutputBlock
from tui.prompt_input import PromptInput
from tui.session_sidebar import SessionSidebar
from tui.status_bar import BUSY, READY, StatusBar
from tui.tool_support import (
    approver_for,
    end_tool_views,
    show_tool_event,
)
from tui.turn import TokenBatcher, Turn

if TYPE_CHECKING:
    from assistant.hosted import HostedPreview
    from assistant.orchestrator import Orchestrator
    from assistant.pins import Pin
    from assistant.sessions import Sessions

class ChatScreen(SessionActions, Screen[None]):
    """One conversation at a time; every chat is saved by the orchestrator as it goes.

    Opening, starting, renaming and deleting chats are in :mod:`tui.chat_sessions`."""

    BINDINGS = [
        Binding("ctrl+n", "new_session", "New chat"),
        Binding("f2", "rename_session", "Rename"),
        Binding("ctrl+d", "delete_session", "Delete"),
        Binding("ctrl+b", "toggle_sidebar", "Chats"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("ctrl+o", "pick_model", "Model"),
        Binding("ctrl+t", "toggle_tools", "Tools"),
        Binding("ctrl+f", "find_sessions", "Find", show=False),
        Binding("escape", "cancel_answer", "Stop"),
    ]
    # Narrow terminals start with the sidebar hidden (Ctrl+B shows it).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]

    def __init__(self, orchestrator: Orchestrator, session_id: str | None = None) -> None:
        super().__init__()
        self.orchestrator = orchestrator
        # The settings the app started with: the model picker lists their models.
        self.base_settings = orchestrator.settings
        self.session_id: str | None = None
        self._initial_session = session_id
        self._turn: Turn | None = None
        self._live_turns: set[Turn] = set()
        self._model_state: tuple[str, str] = ("ready", READY)
        # The model the next turn uses (name, hosted); a turn shows its own while it runs.
        self._model: tuple[str, bool] = ("…", False)
        # Made here so the app can set the model's state before the screen is composed.
        self.status_bar = StatusBar(id="status")
        # Slash commands typed in the prompt (/help, /search …); see tui/commands.py.
        self.commands = default_commands()
        # Whether the model may call tools (Ctrl+T); results of /web and /fetch waiting to
        # go with the next question.
        self.tools_on = orchestrator.settings.tools.enabled
        self.status_bar.tools = self.tools_on
        self.pending_context: list[tuple[str, str]] = []
        # Files pinned to this chat (/add, /drop); saved with the session once it exists.
        self.pins: list[Pin] = []

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield SessionSidebar(id="sidebar")
            with Vertical(id="chat"):
                yield MessageList(id="messages")
                yield PromptInput(id="prompt")
        yield self.status_bar
        yield Footer(show_command_palette=False)

    async def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        if self._initial_session:
            await self.open_session(self._initial_session)
        else:
            await self.refresh_sessions()

    def on_unmount(self) -> None:
        # Stop generation so the worker threads end (the app waits for them on exit).
        for turn in list(self._live_turns):
            turn.cancel.set()

    @property
    def sessions(self) -> Sessions:
        """The saved chats (listed, found, opened, renamed and deleted here)."""
        return self.orchestrator.sessions

    @property
    def message_list(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def answering(self) -> bool:
        """True while an answer for the chat on screen is being generated."""
        return self._turn is not None

    @property
    def running_turns(self) -> set[Turn]:
        """Turns whose worker has not returned yet (including ones for chats left behind)."""
        return set(self._live_turns)

    # -- model state (set by the app) -----------------------------------------------------

    def set_model_name(self, name: str, *, hosted: bool = False) -> None:
        self._model = (name, hosted)
        if not self.answering:
            self._show_model(name, hosted)

    def _show_model(self, name: str, hosted: bool) -> None:
        self.status_bar.model = name
        self.status_bar.hosted = hosted

    def set_model_state(self, text: str, kind: str) -> None:
        self._model_state = (text, kind)
        if not self.answering:
            self.status_bar.set_state(text, kind)

    def _show_idle_state(self) -> None:
        self.status_bar.set_state(*self._model_state)
        self._show_model(*self._model)

    # -- asking ---------------------------------------------------------------------------

    async def on_prompt_submitted(self, message: PromptSubmitted) -> None:
        message.stop()
        if await self.commands.dispatch(self, message.text):
            prompt = self.query_one(PromptInput)
            if prompt.text.strip() == message.text:  # kept while an answer runs
                prompt.clear()
            return
        text = unescape(message.text)
        if self.answering:
            prompt = self.query_one(PromptInput)
            if not prompt.text.strip():  # cleared by a burst of keys: give the text back
                prompt.text = message.text
            self._tell("Still answering — press Esc to stop it first.", severity="warning")
            return
        await self.message_list.add(MessageView("user", text))
        model, hosted = self._model
        view = MessageView(
            "assistant", author=None if model == "…" else model, streaming=True, hosted=hosted
        )
        await self.message_list.add(view)
        turn = Turn(text, self.session_id, view, context=self._take_context())
        self._set_turn(turn)
        self._live_turns.add(turn)
        self.status_bar.set_state("answering…", BUSY)
        self._answer(turn)

    @work(thread=True, exclusive=True, group="answer")
    def _answer(self, turn: Turn) -> None:
        """Run the turn in this thread; every event is posted back to the screen."""
        worker = get_current_worker()
        batcher = TokenBatcher()

        def post(event: Event) -> None:
            for item in batcher.feed(event):
                self.post_message(AnswerEventReceived(turn, item))

        try:
            events = queued(  # the model may be busy with an editor's request (/serve)
                self.orchestrator.run_turn(
                    turn.prompt, session_id=turn.session_id, cancel=turn.cancel,
                    context=turn.context, tools=self.tools_on,
                    approve=approver_for(self, turn),
                    pins=list(self.pins) if turn.session_id is None else (),
                    confirm_hosted=lambda preview: self._confirm_hosted(preview, turn),
                ),
                getattr(self.app, "model_queue", None),
                turn.cancel,
            )
            for event in events:
                if worker.is_cancelled:
                    turn.cancel.set()
                post(event)
        except FiresideError as exc:
            post(ErrorEvent(str(exc)))
        except Exception as exc:  # a bug; show it instead of tearing the screen down
            post(ErrorEvent(f"unexpected error ({type(exc).__name__}: {exc}); please report it"))
        finally:
            for item in batcher.flush():
                self.post_message(AnswerEventReceived(turn, item))
            turn.finished.set()
            self.post_message(AnswerEnded(turn))

    def _confirm_hosted(self, preview: HostedPreview, turn: Turn) -> bool:
        """On the worker thread: ask (in a dialog) whether this turn may leave the machine."""
        answered = threading.Event()
        answer: list[bool] = []

        def record(result: bool | None) -> None:
            answer.append(bool(result))
            answered.set()

        dialog = ConfirmDialog(
            f"Send this turn to {preview.model}?",
            f"{preview.reason}. {preview.messages} messages (about {preview.estimated_tokens} "
            "tokens) would leave this computer.",
            confirm_label="Send",
            cancel_label="Keep local",
        )
        try:
            self.app.call_from_thread(self.app.push_screen, dialog, record)
        except RuntimeError:  # the app is closing
            return False
        while not answered.wait(0.1):
            if turn.cancel.is_set():
                return False
        return answer[0]

    async def on_answer_event_received(self, message: AnswerEventReceived) -> None:
        turn, event = message.turn, message.event
        if isinstance(event, (DoneEvent, MessageDoneEvent)):
            turn.session_id = event.session_id
        if turn.detached:
            return
        if turn.session_id is None and not turn.listed:
            # The orchestrator saved a new chat before its first event: list it now.
            turn.listed = True
            await self.refresh_sessions()
        view = turn.view
        if await show_tool_event(self, turn, event):
            return
        if isinstance(event, TokenEvent):
            await view.append(event.text)
        elif isinstance(event, StatusEvent):
            # Shown in the status bar while it applies, and as a notice so it is not missed
            # (history trimmed, a turn routed elsewhere…).
            if not turn.stopping:
                self.status_bar.set_state(event.text, BUSY)
            self._tell(event.text, timeout=4)
        elif isinstance(event, ContextEvent):
            if event.model:
                # Who answers this turn: the status bar and the message say so when hosted.
                hosted = event.provider != "local"
                view.set_author(event.model, hosted=hosted)
                self._show_model(event.model, hosted)
            await view.set_sources(event.sources, event.left_out)
            self.status_bar.model_tools = event.tools_off is None
            self.status_bar.ctx = status_text(
                event.prompt_tokens, event.context_size, event.provider != "local"
            )
            if not turn.stopping:
                self.status_bar.set_state("answering…", BUSY)
        elif isinstance(event, ErrorEvent):
            turn.error = event.message
            view.mark_failed(event.message)
            self._tell(event.message, title="The answer failed", severity="error", timeout=8)
        elif isinstance(event, MessageDoneEvent):
            view.set_author(event.model, hosted=event.provider != "local")
            await view.finish(event.status, event.content, turn.error)
            if event.timings.tokens_per_s:
                self.status_bar.speed = event.timings.tokens_per_s
            if event.usage.prompt_tokens and event.provider == "local":  # as evaluated
                size = self.orchestrator.provider.context_size
                self.status_bar.ctx = status_text(event.usage.prompt_tokens, size)

    async def on_answer_ended(self, message: AnswerEnded) -> None:
        turn = message.turn
        self._live_turns.discard(turn)
        end_tool_views(turn)
        if turn.detached:
            await self.refresh_sessions()
            return
        if turn.view.streaming:
            status = "error" if turn.error else "cancelled" if turn.stopping else "complete"
            await turn.view.finish(status, error=turn.error)
        if self._turn is turn:
            self._set_turn(None)
        if self.session_id is None and turn.session_id is not None:
            self.session_id = turn.session_id
            if self.pins:  # pinned before the chat was saved: keep them with it
                from assistant.context_inspect import save_pins

                save_pins(self.orchestrator, self.session_id, self.pins)
        self._show_idle_state()
        self._show_title()
        await self.refresh_sessions()
        self.refresh_bindings()

    async def show_output(self, title: str, body: str, *, collapsed: bool = False) -> None:
        """Show command output (plain text) as a foldable block in the conversation; it is
        not saved with the chat."""
        await self.message_list.add(OutputBlock(title, body, collapsed=collapsed))

    def _set_turn(self, turn: Turn | None) -> None:
        """Make ``turn`` the running answer (None: no answer is running)."""
        self._turn = turn
        self.query_one(PromptInput).busy = turn is not None
        self.refresh_bindings()

    def action_cancel_answer(self) -> None:
        """Esc: stop the running answer; what arrived so far stays and is saved."""
        turn = self._turn
        if turn is None or turn.stopping:
            return
        turn.cancel.set()
        self.post_message(AnswerCancelled(turn))

    def on_answer_cancelled(self, message: AnswerCancelled) -> None:
        if message.turn is self._turn:
            self.status_bar.set_state("stopping…", BUSY)

    async def _leave_turn(self) -> None:
        """Stop the running answer because the user leaves this chat; it is saved as stopped."""
        turn = self._turn
        if turn is None:
            return
        turn.cancel.set()
        turn.detached = True
        self._set_turn(None)
        await turn.view.finish("cancelled")
        self._show_idle_state()

    # -- tools ----------------------------------------------------------------------------

    def action_toggle_tools(self) -> None:
        """Ctrl+T: let the model call tools from the next question on, or not."""
        self.tools_on = not self.tools_on
        self.status_bar.tools = self.tools_on
        if self.tools_on and self.orchestrator.settings.tools.enabled is False:
            self._tell("Tools are off in the settings ([tools] enabled = false).",
                       severity="warning")
            self.tools_on = False
            self.status_bar.tools = False
            return
        self._tell("Tools on: the model may search, fetch and read files."
                   if self.tools_on else "Tools off: answers use the model alone.")

    def add_context(self, label: str, text: str) -> None:
        """Keep a tool result (from /web or /fetch) to send with the next question."""
        self.pending_context.append((label, text))
        self._tell(f"{label}: the result goes with your next question.", timeout=4)

    def _take_context(self) -> str | None:
        if not self.pending_context:
            return None
        parts = [f"{label}\n\n{text}" for label, text in self.pending_context]
        self.pending_context = []
        return "\n\n".join(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_answer":
            return True if self.answering else None
        return True

    # -- answers and models ---------------------------------------------------------------

    def action_copy_answer(self) -> None:
        answer = self.message_list.last_answer()
        if answer is None or not answer.text.strip():
            self._tell("There is no answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(answer.text)
        self._tell("Copied the last answer to the clipboard.")

    def action_pick_model(self) -> None:
        """Ctrl+O: pick the model for the next answers (local, or a configured hosted one)."""
        if self.answering:
            self._tell("Stop the answer first (Esc), then pick a model.", severity="warning")
            return
        if self._live_turns:  # a stopped answer is still being saved: its model is in use
            self._tell("An answer is still stopping; pick a model in a moment.")
            return
        from assistant.model_catalog import local_model_rows, model_rows

        try:
            rows = model_rows(self.base_settings)
            rows[1:1] = local_model_rows(self.base_settings, rows[0]["where"])
        except FiresideError as exc:
            self._tell(str(exc), title="Cannot list models", severity="error")
            return
        name, hosted = self._model
        others = {row["id"] for row in rows if row.get("choice")}  # other local GGUFs
        current = name if hosted or name in others else "local"

        def picked(choice: str | None) -> None:
            if choice and choice != current:
                self.post_message(ModelPicked(choice))

        self.app.push_screen(ModelPicker(rows, current), picked)

    def _tell(
        self,
        text: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A notice; the text is shown as is (error messages may contain brackets)."""
        self.notify(text, title=title, severity=severity, timeout=timeout, markup=False)
