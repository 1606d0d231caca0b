"""The state of one running answer, shared between the UI thread and its worker thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.message_list import MessageView


@dataclass(eq=False)
class Turn:
    """One prompt and its streaming answer.

    ``cancel`` is handed to the orchestrator (Esc sets it); ``finished`` is set by the worker
    when it returns. A ``detached`` turn belongs to a chat the user has left: its events no
    longer touch the screen.
    """

    prompt: str
    session_id: str | None
    view: MessageView
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    detached: bool = False
    error: str | None = None

    @property
    def stopping(self) -> bool:
        return self.cancel.is_set()
