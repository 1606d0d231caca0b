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
# Keys that add a new line (Shift+Enter only where the terminal reports it).
NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter"})


def _text_area_bindings(without: frozenset[str]) -> list[BindingType]:
    """TextArea's key bindings (with the ones it inherits), minus the keys in ``without``."""
    inherited = [*ScrollableContainer.BINDINGS, *TextArea.BINDINGS]
    return [b for b in Binding.make_bindings(inherited) if b.key not in without]


class PromptInput(TextArea, inherit_bindings=False):
    """Posts :class:`PromptSubmitted` on Enter, and clears itself unless ``busy``."""

    BINDINGS = _text_area_bindings(without=SCREEN_KEYS)

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
        self.busy = False
        """Set while an answer runs: Enter then leaves the text in place."""

    async def _on_key(self, event: events.Key) -> None:
        # Handled here, not through bindings: a binding's action runs later, so in a fast
        # burst of keys the text typed after Ctrl+J would land before the new line.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.text.strip()
            if text:
                if not self.busy:
                    self.clear()  # now, so keys typed right after Enter start a new prompt
                self.post_message(PromptSubmitted(text))
            return
        if event.key == "tab" and self.text.startswith(("/add ", "/drop ")):
            from tui.context_commands import complete

            root = getattr(getattr(self.screen, "orchestrator", None), "project_root", None)
            completed = complete(root, self.text)
            if completed is not None:
                event.stop()
                event.prevent_default()
                self.text = completed
                self.move_cursor(self.document.end)
                return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self.replace("\n", start, end, maintain_selection_offset=False)
            return
        await super()._on_key(event)
