"""A one-line tip shown while the tiny embedded model answers: how to get a real one.

Clicking it hides it for good: the dismissal is kept in the data folder, so it never comes
back. Nothing is downloaded: the tip
only names the command (``fireside models pull NAME``).
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

TIP_ID = "embedded-model"


def _record() -> Path:
    from assistant.paths import get_paths

    return get_paths().data_dir / "dismissed-tips.json"


def tip_dismissed() -> bool:
    try:
        return TIP_ID in json.loads(_record().read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def dismiss_tip() -> None:
    path = _record()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([TIP_ID]), encoding="utf-8")
    except OSError:
        pass  # it only comes back next time


def tip_text() -> str:
    from providers.localmodels.suggested import first_step

    model = first_step()
    return (f"Tip: the built-in model is tiny. For real work: fireside models pull {model.name} "
            f"({model.size_gb:.1f} GB), then Ctrl+O. Click to hide this for good.")


class ModelTip(Static):
    """The tip line; a click hides it for good."""

    DEFAULT_CSS = """
    ModelTip { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(tip_text(), markup=False, id="model-tip")

    def on_click(self) -> None:
        self.hide_for_good()

    def hide_for_good(self) -> None:
        dismiss_tip()
        self.remove()


def sync_tip(screen: object, embedded: bool) -> None:
    """Show the tip on ``screen`` (the chat screen, above its status bar) while the embedded
    model is in use and the tip was not hidden; remove it otherwise."""
    from textual.screen import Screen

    assert isinstance(screen, Screen)
    shown = list(screen.query(ModelTip))
    if embedded and not shown and not tip_dismissed():
        screen.mount(ModelTip(), before=screen.query_one("#status"))
    elif not embedded:
        for tip in shown:
            tip.remove()
