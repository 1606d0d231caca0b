"""Session storage in SQLite (the only package that runs SQL).

Exports :class:`Store`, :class:`Session`, :class:`Message`, :class:`ToolStep` and
:func:`open_store`, :func:`new_session_id`.
"""

from assistant.store.db import Message, Session, Store, ToolStep, new_session_id, open_store

__all__ = ["Message", "Session", "Store", "ToolStep", "new_session_id", "open_store"]
