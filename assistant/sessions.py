"""Saved chats, for every front end: list, find, read, rename, delete and export them.

Front ends (the TUI, ``fireside sessions …``, the API's session routes) go through
:class:`Sessions` rather than the store, so the store stays an implementation detail of the
core. :func:`open_sessions` opens the store at its usual place; an orchestrator hands out the
one it uses as :attr:`~assistant.orchestrator.Orchestrator.sessions`.

Re-exports the store's row types the front ends show: :class:`Session`, :class:`Message`,
:class:`ToolStep` and :class:`SearchHit`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.store import Message, SearchHit, Session, Store, ToolStep

if TYPE_CHECKING:
    from assistant.events import Source

__all__ = [
    "Message",
    "SearchHit",
    "Session",
    "Sessions",
    "ToolStep",
    "open_sessions",
]


class Sessions:
    """The saved chats of one store. Ids may be given as a unique prefix; an unknown or
    ambiguous one raises :class:`~assistant.errors.SessionNotFoundError`, a database
    problem :class:`~assistant.errors.StoreError`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        self.store.close()

    # -- finding --------------------------------------------------------------------------

    def recent(self, limit: int | None = None) -> list[Session]:
        """Chats, most recently used first."""
        return self.store.list_sessions(limit=limit)

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of the one chat whose id starts with ``id_or_prefix``."""
        return self.store.resolve_session_id(id_or_prefix)

    def get(self, session_id: str) -> Session:
        return self.store.get_session(session_id)

    def search(
        self, query: str, limit: int = 20, marks: tuple[str, str] = ("**", "**")
    ) -> list[SearchHit]:
        """Chats whose messages match ``query`` (every word; ``word*`` is a prefix), best
        first, each with a snippet of its best message (matched words between ``marks``)."""
        from assistant.store import search_sessions

        return search_sessions(self.store, query, limit=limit, marks=marks)

    # -- reading --------------------------------------------------------------------------

    def messages(self, session_id: str) -> list[Message]:
        return self.store.messages(session_id)

    def sources(self, session_id: str) -> dict[int, list[Source]]:
        """The code chunks each answer was given: message id → sources, best first."""
        return self.store.message_sources(session_id)

    def tool_steps(self, session_id: str) -> list[ToolStep]:
        return self.store.tool_steps(session_id)

    def pins(self, session_id: str) -> list[tuple[str, int | None, int | None]]:
        """The chat's pinned files as saved: (path, start_line, end_line) in order."""
        return self.store.pins(session_id)

    def export(self, session_ids: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """One dict per chat (``None``: every chat, oldest first) holding everything kept
        about it: what ``fireside sessions import`` reads back."""
        from assistant.store import export_records

        return export_records(self.store, session_ids)

    # -- changing -------------------------------------------------------------------------

    def rename(self, session_id: str, title: str) -> Session:
        """Give the chat a new title (blank: "Untitled"); the renamed chat."""
        return self.store.rename_session(session_id, title)

    def delete(self, session_id: str) -> str:
        """Delete the chat, its messages and its saved model state; its full id."""
        full = self.store.delete_session(session_id)
        from assistant.session_state import delete_session as delete_state

        delete_state(full)  # its saved model state, if any
        return full


def open_sessions(path: Path | None = None) -> Sessions:
    """The chats of the store at ``path`` (default: the usual database), opened."""
    from assistant.store import open_store

    return Sessions(open_store(path))
