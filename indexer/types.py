"""The indexer's public data shapes (shared by the CLI, the TUI, the tools and the API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

SearchMode = Literal["hybrid", "lexical", "vector"]
Phase = Literal["scan", "chunk", "lexical", "embed", "done"]


@dataclass(frozen=True)
class Hit:
    """One search result: a chunk of a file, cited as ``path:start_line-end_line``."""

    path: str  # relative to the indexed root, with forward slashes
    start_line: int  # 1-based, inclusive
    end_line: int
    score: float
    snippet: str  # a few lines for display
    text: str = ""  # the whole chunk (what goes into a prompt)
    symbol: str | None = None  # function/class name when the chunker knows it

    @property
    def citation(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``fireside search --json`` and ``POST /api/v1/search``."""
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "score": self.score,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class FileHit:
    """One file of a ``--files`` search: its score and its best chunks (best first)."""

    path: str
    score: float
    hits: tuple[Hit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "score": self.score,
            "chunks": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True)
class IndexProgress:
    """Reported while indexing (for progress bars and the TUI status bar)."""

    phase: Phase
    files_done: int = 0
    files_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0
    embedded: int = 0
    pending: int = 0  # chunks still waiting for an embedding
    eta_s: float | None = None
    message: str = ""


ProgressCallback = Callable[[IndexProgress], None]


@dataclass(frozen=True)
class IndexSummary:
    """What one indexing run did."""

    root: str
    files: int  # files in the index after the run
    changed: int  # files whose index entry changed: added + modified + deleted
    added: int
    deleted: int
    chunks: int
    embedded: int
    pending: int
    seconds: float


@dataclass(frozen=True)
class IndexStatus:
    """``fireside index --status`` and ``GET /api/v1/health``."""

    root: str
    files: int
    chunks: int
    embedded: int
    pending: int
    model: str
    last_update: str | None  # ISO 8601, None before the first run
    vector_store: str = "embedded"  # "embedded" or the Chroma server URL

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
