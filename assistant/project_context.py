"""The current project's index as chat context for one-shot front ends (``fireside chat``).

:func:`open_context` opens the index of the current git root (or folder) through the
indexer's :class:`~indexer.service.IndexService` if one was built — it never builds one — and
wraps it in a lexical :class:`~assistant.retrieval.Retriever`. The TUI builds and watches the
index through the same service (``tui/indexing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import FiresideError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval import Retriever

NO_INDEX = "no index for this project: run `fireside index` to give answers its code"


@dataclass
class ProjectContext:
    """A retriever over an open project index (or None, with ``note`` saying why)."""

    retriever: Retriever | None = None
    note: str | None = None
    project: Any = None  # the indexer's ProjectIndex, closed by close()

    def close(self) -> None:
        project, self.project = self.project, None
        if project is not None:
            project.close()


def open_context(settings: Settings, path: Path | None = None) -> ProjectContext:
    """The index of ``path`` (None: the current git root or folder) as a retriever.

    Never raises for a missing or unreadable index: the answer then goes without code and
    ``note`` says why (one line for the user). ``[index] context_tokens = 0``: no context and
    no note.
    """
    if settings.index.context_tokens <= 0:
        return ProjectContext()
    from indexer.service import IndexService

    service = IndexService(settings, path)
    try:
        project = service.open()
    except FiresideError as exc:
        return ProjectContext(note=f"no code context: {exc}")
    if project is None or not project.exists:
        service.close()
        return ProjectContext(note=NO_INDEX)
    from assistant.retrieval import Retriever

    # Lexical (BM25) search: it answers in milliseconds, where the first vector search of a
    # process loads the embedding model (seconds). The TUI keeps the model loaded and
    # searches hybrid.
    return ProjectContext(Retriever(project, settings.index, mode="lexical"), None, project)
