"""Foldable blocks in the conversation: command output (``/help``, ``/search`` hits), shown
on screen only, and the code chunks an answer's prompt held (saved with the answer)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Collapsible, Static

from assistant.events import Source


class OutputBlock(Collapsible):
    """``title`` as the fold's header, ``body`` as plain text (no markup) inside it."""

    def __init__(self, title: str, body: str, *, collapsed: bool = False) -> None:
        super().__init__(
            Static(body, markup=False, classes="output-body"),
            title=Content(title),  # plain text: a title may hold brackets
            collapsed=collapsed,
        )
        self.body = body


def sources_title(count: int, left_out: int = 0) -> str:
    """``Context: 3 chunks``; with chunks left out by the relevance floor, says so
    (``Context: none (6 chunks found, not relevant to the question)``)."""
    chunks = f"{count} chunk" + ("" if count == 1 else "s")
    if not left_out:
        return f"Context: {chunks}"
    out = f"{left_out} chunk" + ("" if left_out == 1 else "s")
    if not count:
        return f"Context: no code ({out} found, not relevant to the question)"
    return f"Context: {chunks} ({out} left out as not relevant)"


class SourcesBlock(OutputBlock):
    """Under an answer, folded: which code chunks went into its prompt (``path:lines``)."""

    def __init__(self, sources: Sequence[Source], left_out: int = 0) -> None:
        lines = [
            s.citation + (f"  ({s.symbol})" if s.symbol else "") for s in sources
        ]
        if not lines:  # all left out (the title says how many)
            lines.append("The question does not seem to need code from the index.")
        super().__init__(sources_title(len(sources), left_out), "\n".join(lines),
                         collapsed=True)
        self.sources = tuple(sources)
