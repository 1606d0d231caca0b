"""What search and the embedding pass need of a project index, as a protocol.

:class:`~indexer.project.ProjectIndex` satisfies it; :mod:`indexer.search` and
:mod:`indexer.embedding_pass` depend on this protocol (not on ``indexer.project``), so the
indexer's modules import each other in one direction only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import threading
    from pathlib import Path

    from assistant.config import Settings
    from indexer.embed import Embedder
    from indexer.lexical import LexicalIndex
    from indexer.vectors import VectorStore


class IndexParts(Protocol):
    """A project's lexical index, embedder and vector store, and the lock writers share."""

    root: Path
    dir: Path
    settings: Settings
    last_note: str | None  # why the last search fell back to lexical, etc.
    vector_rebuilds: int  # how often the vector store was rebuilt in this process
    vectors_checked: bool  # the store's vector count was checked against the flags

    @property
    def embedding_model(self) -> str: ...

    @property
    def update_lock(self) -> threading.RLock: ...

    def lexical(self, create: bool = False) -> LexicalIndex: ...

    def embedder(self) -> Embedder: ...

    def vectors(self) -> VectorStore: ...

    def notice(self, message: str) -> None: ...
