"""The agent loop's tool steps (calls and results) and the tool cache (web search
results, fetched pages): parts of :class:`~assistant.store.db.Store`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from assistant.store.base import StoreBase
from assistant.store.records import ToolStep, now


class ToolStepRecords(StoreBase):
    """Each tool call of a turn, linked to the answer it led to."""

    def add_tool_step(
        self,
        session_id: str,
        *,
        step: int,
        call_id: str,
        name: str,
        arguments: dict[str, Any],
        ok: bool,
        result: str,
        truncated: bool = False,
        duration_ms: float = 0.0,
        message_id: int | None = None,
    ) -> int:
        """Record one tool call of a turn; linked to its answer later by
        :meth:`link_tool_steps` (the answer is saved when the turn ends)."""
        with self._tx(write=True) as db:
            cursor = db.execute(
                "INSERT INTO tool_steps (session_id, message_id, step, call_id, name,"
                " arguments, ok, result, truncated, duration_ms, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, message_id, step, call_id, name,
                 json.dumps(arguments, ensure_ascii=False), int(ok), result, int(truncated),
                 duration_ms, now()),
            )
            return int(cursor.lastrowid or 0)

    def link_tool_steps(self, step_ids: Sequence[int], message_id: int) -> None:
        """Attach the steps ``step_ids`` to the answer they led to."""
        if not step_ids:
            return
        with self._tx(write=True) as db:
            db.executemany(
                "UPDATE tool_steps SET message_id = ? WHERE id = ?",
                [(message_id, step_id) for step_id in step_ids],
            )

    def tool_steps(self, session_id: str) -> list[ToolStep]:
        """A chat's tool steps in the order they ran."""
        full = self.resolve_session_id(session_id)
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, session_id, message_id, step, call_id, name, arguments, ok, result,"
                " truncated, duration_ms, created_at FROM tool_steps WHERE session_id = ?"
                " ORDER BY id",
                (full,),
            ).fetchall()
        return [_tool_step(row) for row in rows]


def _tool_step(row: Sequence[Any]) -> ToolStep:
    try:
        arguments = json.loads(row[6] or "{}")
    except ValueError:
        arguments = {}
    return ToolStep(
        id=row[0], session_id=row[1], message_id=row[2], step=row[3] or 0,
        call_id=row[4] or "", name=row[5], arguments=arguments, ok=bool(row[7]),
        result=row[8] or "", truncated=bool(row[9]), duration_ms=row[10] or 0.0,
        created_at=row[11],
    )


class ToolCacheRecords(StoreBase):
    """Cached tool results with an expiry time."""

    def cache_get(self, key: str) -> str | None:
        """The cached value for ``key``, or None when absent or expired."""
        with self._tx() as db:
            row = db.execute(
                "SELECT value FROM tool_cache WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            ).fetchone()
        return None if row is None else str(row[0])

    def cache_put(self, key: str, kind: str, value: str, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (ttl <= 0: not cached); expired rows are
        removed on the way."""
        if ttl <= 0:
            return
        stamp = time.time()
        with self._tx(write=True) as db:
            db.execute("DELETE FROM tool_cache WHERE expires_at <= ?", (stamp,))
            db.execute(
                "INSERT OR REPLACE INTO tool_cache (key, kind, value, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, kind, value, stamp, stamp + ttl),
            )

    def cache_purge(self, kind: str | None = None, expired_only: bool = True) -> int:
        """Delete cached tool results (expired ones, or all; of one kind or every kind);
        returns how many rows went."""
        sql, params = "DELETE FROM tool_cache WHERE 1 = 1", []
        if expired_only:
            sql += " AND expires_at <= ?"
            params.append(time.time())
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        with self._tx(write=True) as db:
            return db.execute(sql, params).rowcount
