"""A chat's pinned files and what each turn's prompt held (a part of
:class:`~assistant.store.db.Store`)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.store.base import StoreBase
from assistant.store.records import now


class TurnContextRecords(StoreBase):
    """Pins and turn context reports."""

    def set_pins(
        self, session_id: str, pins: Sequence[tuple[str, int | None, int | None]]
    ) -> None:
        """Replace a chat's pinned files: (path, start_line, end_line) in order."""
        full = self.resolve_session_id(session_id)
        with self._tx(write=True) as db:
            db.execute("DELETE FROM session_pins WHERE session_id = ?", (full,))
            db.executemany(
                "INSERT INTO session_pins (session_id, position, path, start_line, end_line)"
                " VALUES (?, ?, ?, ?, ?)",
                [(full, n, path, start, end) for n, (path, start, end) in enumerate(pins)],
            )

    def pins(self, session_id: str) -> list[tuple[str, int | None, int | None]]:
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT path, start_line, end_line FROM session_pins WHERE session_id = ?"
                " ORDER BY position",
                (full,),
            ).fetchall()
        return [(str(p), s, e) for p, s, e in rows]

    def add_turn_context(self, session_id: str, message_id: int, report: str) -> None:
        """Keep what answer ``message_id``'s prompt held (a JSON report)."""
        with self._tx(write=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO turn_context (message_id, session_id, report,"
                " created_at) VALUES (?, ?, ?, ?)",
                (message_id, session_id, report, now()),
            )

    def turn_context(self, session_id: str) -> tuple[int, str] | None:
        """(message id, JSON report) of the chat's latest answer that has one."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            row = db.execute(
                "SELECT message_id, report FROM turn_context WHERE session_id = ?"
                " ORDER BY message_id DESC LIMIT 1",
                (full,),
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))
