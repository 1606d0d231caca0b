"""Textual messages the TUI's widgets and workers post (named for what happened)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from assistant.events import Event
    from tui.turn import Turn


class PromptSubmitted(Message):
    """The user pressed Enter in the prompt with some text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SessionSelected(Message):
    """The user picked a session in the sidebar."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id


class AnswerEventReceived(Message):
    """The answer worker received an orchestrator event for ``turn``."""

    def __init__(self, turn: Turn, event: Event) -> None:
        super().__init__()
        self.turn = turn
        self.event = event


class AnswerEnded(Message):
    """The answer worker for ``turn`` has returned (however the turn ended)."""

    def __init__(self, turn: Turn) -> None:
        super().__init__()
        self.turn = turn


class AnswerCancelled(Message):
    """The user asked to stop the running answer (Esc)."""

    def __init__(self, turn: Turn) -> None:
        super().__init__()
        self.turn = turn


class ModelResolved(Message):
    """The model's display name is known (before it is loaded)."""

    def __init__(self, name: str, *, hosted: bool = False) -> None:
        super().__init__()
        self.name = name
        self.hosted = hosted


class ModelWarmedUp(Message):
    """The model is loaded and the system prompt evaluated."""

    def __init__(self, name: str, *, hosted: bool = False) -> None:
        super().__init__()
        self.name = name
        self.hosted = hosted


class ModelPicked(Message):
    """The user picked a model in the picker: ``local`` or ``PROVIDER/MODEL``."""

    def __init__(self, choice: str) -> None:
        super().__init__()
        self.choice = choice


class ModelLoadFailed(Message):
    """Loading the model failed; ``error`` is one line a user can act on."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
