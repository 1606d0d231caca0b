"""Modal dialogs: rename a chat (returns the new title), confirm an action (returns a bool),
and pick a model (returns ``local`` or ``PROVIDER/MODEL``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option


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


class ModelPicker(ModalScreen[str | None]):
    """Lists the local model and the configured hosted ones (rows from
    :func:`assistant.model_catalog.model_rows`); Enter picks one and dismisses with
    ``local`` or its ``PROVIDER/MODEL`` id, Esc with None. ``current`` is highlighted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, rows: list[dict[str, object]], current: str) -> None:
        super().__init__(classes="dialog-screen")
        self._rows = rows
        self._current = current

    @staticmethod
    def choice_of(row: dict[str, object]) -> str:
        if row.get("choice"):  # another local GGUF: ``gguf:NAME``
            return str(row["choice"])
        return "local" if row["provider"] == "local" else str(row["id"])

    def compose(self) -> ComposeResult:
        options = []
        for row in self._rows:
            choice = self.choice_of(row)
            if row["provider"] == "local":
                where = "local · llama.cpp" + (
                    f" · {row['note']}" if row["note"] or not row["ready"] else "")
            else:
                where = f"hosted · {row['kind']} · {row['note']}"
            mark = "●" if choice == self._current or row["id"] == self._current else " "
            options.append(Option(f"{mark} {row['id']}\n    {where}", id=choice))
        with Vertical(classes="dialog model-picker"):
            yield Label("Model for the next answers", classes="dialog-title")
            yield OptionList(*options, id="models", markup=False)
            if len(self._rows) == 1:
                yield Label(
                    "No hosted models: add a [providers.NAME] table to config.toml.",
                    classes="dialog-detail",
                    markup=False,
                )
            yield Label("Enter picks · Esc cancels", classes="dialog-detail")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        ids = [self.choice_of(row) for row in self._rows]
        names = [str(row["id"]) for row in self._rows]
        for index, (choice, name) in enumerate(zip(ids, names, strict=True)):
            if self._current in (choice, name):
                option_list.highlighted = index
                break
        else:
            option_list.highlighted = 0
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
