"""One real API server per test module: uvicorn on a free loopback port, in a thread of this
process, serving the embedded SmolLM2 model (or a scripted provider where a test says so)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import load_settings
from assistant.orchestrator import Orchestrator
from assistant.server.context import ServerContext
from assistant.server.run import BackgroundServer, make_context
from assistant.store import Store, open_store
from tests.support.llama import embedded_provider

ALLOWED_ORIGIN = "http://allowed.example"


@dataclass
class LiveServer:
    url: str
    port: int
    token: str
    ctx: ServerContext
    home: Path

    @property
    def store(self) -> Store:
        return self.ctx.store

    def client(self, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 60)
        return httpx.Client(base_url=self.url, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def llama_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with embedded_provider(tmp_path_factory) as provider:
        yield provider


def start_server(
    home: Path, provider: Any, **server: Any
) -> tuple[BackgroundServer, LiveServer, pytest.MonkeyPatch]:
    """A server with its own FIRESIDE_HOME (kept for the module: the token file, the DB)."""
    mp = pytest.MonkeyPatch()
    for key in list(os.environ):
        if key.startswith("FIRESIDE_"):
            mp.delenv(key)
    mp.setenv("FIRESIDE_HOME", str(home))
    config = {"queue_size": 2, "allowed_origins": [ALLOWED_ORIGIN], **server}
    settings = load_settings(max_tokens=24, temperature=0.0, seed=3).model_copy(
        update={"server": load_settings().server.model_copy(update=config)}
    )
    store = open_store(home / "data" / "fireside.db")
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    background = BackgroundServer(
        lambda port: make_context(settings, store, orchestrator, host="127.0.0.1", port=port),
        "127.0.0.1",
        0,
    )
    url = background.start()
    assert background.ctx is not None
    live = LiveServer(url, background.port, background.ctx.token(), background.ctx, home)
    return background, live, mp


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, llama_provider: Any) -> Iterator[LiveServer]:
    background, server, mp = start_server(tmp_path_factory.mktemp("api-home"), llama_provider)
    yield server
    background.stop()
    server.store.close()
    mp.undo()
