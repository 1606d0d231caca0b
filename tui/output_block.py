"""A block of command output in the conversation (``/help``, ``/search`` hits): a titled,
foldable panel of plain text. It is shown on screen only; nothing is saved with the chat."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Collapsible, Static


class OutputBlock(Collapsible):
    """``title`` as the fold's header, ``body`` as plain text (no markup) inside it."""

    def __init__(self, title: str, body: str, *, collapsed: bool = False) -> None:
        super().__init__(
            Static(body, markup=False, classes="output-body"),
            title=Content(title),  # plain text: a title may hold brackets
            collapsed=collapsed,
        )
        self.body = body
