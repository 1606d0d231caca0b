"""What the API's routes share: settings, the store, the orchestrator, the model queue, and
the names the served model answers to."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.model_queue import ModelQueue
from assistant.server.token import get_token, token_path

if TYPE_CHECKING:
    from fastapi import Request

    from assistant.config import Settings
    from assistant.orchestrator import Orchestrator
    from assistant.server.index_jobs import IndexJobs
    from assistant.sessions import Sessions
    from assistant.store import Store


class TokenSource:
    """The current token: read from its file, re-read when the file changes (so
    ``fireside token --rotate`` takes effect without a restart)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or token_path()
        self._lock = threading.Lock()
        self._token = get_token(self.path)
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def __call__(self) -> str:
        stamp = self._stat()
        if stamp != self._stamp and stamp is not None:
            with self._lock:
                from assistant.errors import ServerError
                from assistant.server.token import read_token

                try:
                    token = read_token(self.path)
                except ServerError:
                    token = None  # an unsafe file: keep the token we had
                if token:
                    self._token = token
                self._stamp = stamp
        return self._token


@dataclass
class ServerContext:
    settings: Settings
    store: Store
    orchestrator: Orchestrator
    queue: ModelQueue
    token: TokenSource
    port: int
    host: str = "127.0.0.1"
    extra_hosts: tuple[str, ...] = ()
    jobs: IndexJobs | None = field(default=None)

    @property
    def sessions(self) -> Sessions:
        """The saved chats of :attr:`store` (the session routes list and read them)."""
        from assistant.sessions import Sessions

        return Sessions(self.store)

# Names a client may use for the served model besides its own.
ALIASES = ("fireside", "local", "default")


def context_of(request: Request) -> ServerContext:
    """The :class:`ServerContext` of the app serving ``request``."""
    return request.app.state.ctx


def model_ids(ctx: ServerContext) -> list[str]:
    return [ctx.orchestrator.model_name]


def known_model(ctx: ServerContext, model: str) -> bool:
    """True when ``model`` names the served model or one of :data:`ALIASES`."""
    return model in model_ids(ctx) or model.lower() in ALIASES
