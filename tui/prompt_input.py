"""The prompt: a multi-line text area where Enter sends and Ctrl+J / Shift+Enter add a line."""

from __future__ import annotations

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.widgets import TextArea

from tui.messages import PromptSubmitted

PLACEHOLDER = "Ask anything…  (Enter sends, Ctrl+J new line)"

# Keys the chat screen uses (delete the chat, copy the answer); the prompt leaves them alone,
# so they reach the screen without priority bindings (which would reorder the footer).
SCREEN_KEYS = frozenset({"ctrl+d", "ctrl+y"})


def _text_area_bindings(without: frozenset[str]) -> list[BindingType]:
    """TextArea's key bindings (with the ones it inherits), minus the keys in ``without``."""
    inherited = [*ScrollableContainer.BINDINGS, *TextArea.BINDINGS]
    return [b for b in Binding.make_bindings(inherited) if b.key not in without]


class PromptInput(TextArea, inherit_bindings=False):
    """Posts :class:`PromptSubmitted` on Enter; the screen clears it once the prompt is taken."""

    BINDINGS = [
        *_text_area_bindings(without=SCREEN_KEYS),
        Binding("ctrl+j,shift+enter", "newline", "New line", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=PLACEHOLDER,
            compact=True,
        )

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(PromptSubmitted(self.text.strip()))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)
