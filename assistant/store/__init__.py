"""Session storage in SQLite (the only package that runs SQL).

Exports :class:`Store`, :class:`Session`, :class:`Message`, :class:`ToolStep` and
:func:`open_store`, :func:`new_session_id`; and, for imported chats, search and full
exports (:mod:`.archive`):
:class:`ImportedSession`, :class:`ImportedMessage`, :class:`ImportCounts`,
:class:`SearchHit`, :func:`import_sessions`, :func:`search_sessions`,
:func:`export_records`; :func:`read_llm_logs` reads an ``llm`` logs.db (:mod:`.llm_logs`).
"""

from assistant.store.archive import (
    ImportCounts,
    ImportedMessage,
    ImportedSession,
    SearchHit,
    export_records,
    import_sessions,
    search_sessions,
)
from assistant.store.db import Store, open_store
from assistant.store.llm_logs import read_llm_logs
from assistant.store.records import Message, Session, ToolStep, new_session_id

__all__ = [
    "ImportCounts",
    "ImportedMessage",
    "ImportedSession",
    "Message",
    "SearchHit",
    "Session",
    "Store",
    "ToolStep",
    "export_records",
    "import_sessions",
    "new_session_id",
    "open_store",
    "read_llm_logs",
    "search_sessions",
]
