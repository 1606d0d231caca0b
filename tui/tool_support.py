"""The chat screen's side of the agent loop: tool calls shown above the answer they lead to,
asking (in a dialog, from the answer's worker thread) before an "ask" tool runs (network
tools the model starts), and the
saved steps shown again when a chat is reopened."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.events import ToolCallEvent, ToolResultEvent
from assistant.tools.consent import Approval
from tui.consent_dialog import ToolConsentDialog
from tui.tool_call_view import ToolCallView

if TYPE_CHECKING:
    from assistant.sessions import Message, ToolStep
    from tui.chat_screen import ChatScreen
    from tui.message_list import MessageList
    from tui.turn import Turn


def approver_for(screen: ChatScreen, turn: Turn) -> Any:
    """``approve(tool, arguments) -> Approval`` for the registry, called on the worker
    thread: shows a ToolConsentDialog with the call's full arguments and waits for the
    answer (deny when the turn is cancelled or the app closes)."""

    def approve(tool: Any, arguments: dict[str, Any]) -> Approval:
        answered = threading.Event()
        answer: list[Approval] = []

        def record(result: Approval | None) -> None:
            answer.append(result or Approval.DENY)
            answered.set()

        dialog = ToolConsentDialog(tool.name, arguments, str(tool.risk.value),
                                   session_allowed=not tool.risk.always_asks)
        app = screen.app
        try:
            app.call_from_thread(app.push_screen, dialog, record)
        except RuntimeError:  # the app is closing
            return Approval.DENY
        while not answered.wait(0.1):
            if turn.cancel.is_set():
                with contextlib.suppress(RuntimeError):
                    app.call_from_thread(_close, dialog)
                return Approval.DENY
        return answer[0]

    return approve


def _close(dialog: ToolConsentDialog) -> None:
    if dialog.is_attached and dialog.app.screen is dialog:
        dialog.dismiss(Approval.DENY)


async def show_tool_event(screen: ChatScreen, turn: Turn, event: object) -> bool:
    """Render a tool event of ``turn``; False for any other event."""
    if isinstance(event, ToolCallEvent):
        view = ToolCallView(event.name, event.arguments, call_id=event.call_id)
        turn.tool_views[event.call_id] = view
        messages = screen.message_list
        await messages.mount(view, before=turn.view)
        messages.anchor()
        if not turn.stopping:
            screen.status_bar.set_state(f"running {event.name}…", "busy")
        return True
    if isinstance(event, ToolResultEvent):
        view = turn.tool_views.get(event.call_id)
        if view is not None:
            view.set_result(event.content, ok=event.ok, duration_ms=event.duration_ms,
                            truncated=event.truncated)
        if not turn.stopping:
            screen.status_bar.set_state("answering…", "busy")
        return True
    return False


def end_tool_views(turn: Turn) -> None:
    """The turn is over: calls still running were stopped."""
    for view in turn.tool_views.values():
        view.mark_stopped()


async def show_saved_steps(
    message_list: MessageList, messages: Sequence[Message], steps: Sequence[ToolStep]
) -> None:
    """Put each saved step above the answer it led to (after ``show_history``)."""
    if not steps:
        return
    shown = [m for m in messages if m.role in ("user", "assistant")]
    views = message_list.views
    by_id = {m.id: view for m, view in zip(shown, views, strict=False)}
    for step in steps:
        anchor = by_id.get(step.message_id) if step.message_id is not None else None
        view = ToolCallView(step.name, step.arguments, call_id=step.call_id,
                            result=step.result, ok=step.ok, duration_ms=step.duration_ms,
                            truncated=step.truncated)
        if anchor is not None:
            await message_list.mount(view, before=anchor)
    message_list.scroll_end(animate=False)
