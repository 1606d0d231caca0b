"""Chats from elsewhere: ChatGPT and Claude data exports, simonw/llm's logs.db, and
Fireside's own JSON Lines export.

:func:`read_export` reads a file (format given or detected) into :class:`Parsed` without
touching the store; everything is parsed before anything is written, so a corrupt file is one
:class:`~assistant.errors.ImportFormatError` and nothing half-imported.
:func:`import_file` reads and writes it in one transaction and returns an
:class:`ImportSummary` (its ``line`` is the one-line report).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.importers.common import Parsed
from assistant.importers.sources import FORMATS, read_export
from assistant.store import Store, import_sessions

__all__ = ["FORMATS", "ImportSummary", "Parsed", "import_file", "read_export"]

_NAMES = {"chatgpt": "ChatGPT", "claude": "Claude", "llm": "llm", "fireside": "Fireside"}


@dataclass(frozen=True)
class ImportSummary:
    source: str
    sessions: int
    messages: int
    skipped: dict[str, int]

    @property
    def line(self) -> str:
        """``Imported 3 sessions (41 messages) from ChatGPT; skipped: 2 already imported, …``"""
        text = (f"Imported {self.sessions} session{'s' * (self.sessions != 1)}"
                f" ({self.messages} message{'s' * (self.messages != 1)})"
                f" from {_NAMES.get(self.source, self.source)}")
        if self.skipped:
            parts = [f"{n} {reason}" for reason, n in sorted(
                self.skipped.items(), key=lambda item: (-item[1], item[0]))]
            text += "; skipped: " + ", ".join(parts)
        return text + "."


def import_file(store: Store, path: Path, fmt: str | None = None) -> ImportSummary:
    parsed = read_export(path, fmt)
    counts = import_sessions(store, parsed.sessions)
    skipped = dict(parsed.skipped)
    if counts.already:
        skipped["already imported"] = counts.already
    return ImportSummary(parsed.source, counts.sessions, counts.messages, skipped)
