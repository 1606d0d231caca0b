"""Messages of a chat: adding, listing, full-text search (FTS5) and the code chunks each
answer was given (a part of :class:`~assistant.store.db.Store`)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.events import Source
from assistant.store.base import StoreBase
from assistant.store.records import Message, now


class MessageRecords(StoreBase):
    """Messages and their code context."""

    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        model: str | None = None,
        status: str = "complete",
        finish_reason: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        ttft_ms: float | None = None,
        tokens_per_s: float | None = None,
        total_ms: float | None = None,
        provider: str | None = None,
        cost_usd: float | None = None,
    ) -> int:
        stamp = now()
        with self._tx(write=True) as db:
            cursor = db.execute(
                "INSERT INTO messages (session_id, role, content, model, status, finish_reason,"
                " prompt_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,"
                " provider, cost_usd)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id, role, content, model, status, finish_reason, prompt_tokens,
                    completion_tokens, ttft_ms, tokens_per_s, total_ms, stamp, provider,
                    cost_usd,
                ),
            )
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (stamp, session_id))
            return int(cursor.lastrowid or 0)

    def messages(self, session_id: str) -> list[Message]:
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, session_id, role, content, model, status, finish_reason,"
                " prompt_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,"
                " provider, cost_usd, attachment_text"
                " FROM messages WHERE session_id = ? ORDER BY id",
                (full,),
            ).fetchall()
        return [Message(*row) for row in rows]

    def search_messages(self, query: str, limit: int = 20) -> list[Message]:
        """Full-text search over message text (FTS5)."""
        quoted = " ".join('"' + term.replace('"', '""') + '"' for term in query.split())
        if not quoted:
            return []
        with self._tx() as db:
            rows = db.execute(
                "SELECT m.id, m.session_id, m.role, m.content, m.model, m.status,"
                " m.finish_reason, m.prompt_tokens, m.completion_tokens, m.ttft_ms,"
                " m.tokens_per_s, m.total_ms, m.created_at, m.provider, m.cost_usd,"
                " m.attachment_text"
                " FROM messages_fts f JOIN messages m ON m.rowid = f.rowid"
                " WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
                (quoted, limit),
            ).fetchall()
        return [Message(*row) for row in rows]

    # -- code context of answers ----------------------------------------------------------

    def add_message_sources(
        self, session_id: str, message_id: int, sources: Sequence[Source]
    ) -> None:
        """Record the code chunks put into the prompt of answer ``message_id``, best first."""
        if not sources:
            return
        rows = [
            (message_id, session_id, rank, s.path, s.start_line, s.end_line, s.score, s.symbol)
            for rank, s in enumerate(sources)
        ]
        with self._tx(write=True) as db:
            db.executemany(
                "INSERT INTO message_sources (message_id, session_id, rank, path, start_line,"
                " end_line, score, symbol) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def message_sources(self, session_id: str) -> dict[int, list[Source]]:
        """The code chunks each answer of a chat was given: message id → sources, best first."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT message_id, path, start_line, end_line, score, symbol"
                " FROM message_sources WHERE session_id = ? ORDER BY message_id, rank",
                (full,),
            ).fetchall()
        found: dict[int, list[Source]] = {}
        for message_id, path, start, end, score, symbol in rows:
            found.setdefault(int(message_id), []).append(
                Source(path, int(start), int(end), float(score or 0.0), symbol)
            )
        return found
