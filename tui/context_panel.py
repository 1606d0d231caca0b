"""The ``/context`` panel: what the next turn will send the model and what the last turn
sent, part by part with token counts against the context window (a modal; Esc closes)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ContextPanel(ModalScreen[None]):
    """Shows the formatted reports (``sections``: (title, text) pairs)."""

    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("q", "dismiss", "Close")]
    DEFAULT_CSS = """
    ContextPanel { align: center middle; }
    ContextPanel > Vertical {
        width: 90%; max-width: 100; height: 85%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    ContextPanel .context-title { text-style: bold; margin-top: 1; }
    ContextPanel .context-hint { color: $text-muted; }
    """

    def __init__(self, sections: list[tuple[str, str]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("What the model is sent  (Esc closes)", classes="context-hint")
            with VerticalScroll():
                for title, text in self.sections:
                    yield Label(title, classes="context-title", markup=False)
                    yield Static(text, markup=False, classes="context-body")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
