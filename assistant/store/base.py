"""What each part of :class:`~assistant.store.db.Store` relies on: its transactions and
session id lookup (both implemented by ``Store`` itself, in :mod:`.db`)."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path


class StoreBase:
    """The seam between ``Store`` and its parts (messages, pins, tool steps, tool cache)."""

    path: Path

    def _tx(self, write: bool = False) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction (``write``: taking the write lock up front)."""
        raise NotImplementedError

    def resolve_session_id(self, id_or_prefix: str) -> str:
        """The full id of the one session whose id starts with ``id_or_prefix``."""
        raise NotImplementedError
