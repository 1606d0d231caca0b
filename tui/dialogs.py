"""Modal dialogs: rename a chat (returns the new title) and confirm an action (returns a bool)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class RenameDialog(ModalScreen[str | None]):
    """Asks for a new title; dismisses with it, or with None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Rename chat", classes="dialog-title")
            yield Input(value=self._title, placeholder="Title", id="title", select_on_focus=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="ok", variant="primary")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _accept(self) -> None:
        title = " ".join(self.query_one(Input).value.split())
        if not title:
            self.notify("A chat needs a title.", severity="warning")
            return
        self.dismiss(title)


class ConfirmDialog(ModalScreen[bool]):
    """Asks a yes/no question; Cancel (focused first) and Esc answer no."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        detail: str = "",
        *,
        confirm_label: str = "OK",
        cancel_label: str = "Cancel",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._question = question
        self._detail = detail
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._question, classes="dialog-title", markup=False)
            if self._detail:
                yield Label(self._detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self._cancel_label, id="cancel")
                yield Button(self._confirm_label, id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "ok")

    def action_cancel(self) -> None:
        self.dismiss(False)
