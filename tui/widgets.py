"""The TUI's widgets in one import: ``from tui.widgets import MessageView`` and so on."""

from tui.message_list import MessageList, MessageView
from tui.prompt_input import PromptInput
from tui.session_sidebar import SessionItem, SessionSidebar
from tui.status_bar import StatusBar

__all__ = [
    "MessageList",
    "MessageView",
    "PromptInput",
    "SessionItem",
    "SessionSidebar",
    "StatusBar",
]
