"""Shared fixtures: every test gets its own FIRESIDE_HOME, and no test may reach the network."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from assistant.config import Settings, load_settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store, open_store
from tests.support.memory_keyring import MemoryKeyring
from tests.support.scripted import ScriptedProvider

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if not host.startswith(_LOOPBACK):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def fireside_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private FIRESIDE_HOME; FIRESIDE_* settings from the outer environment are cleared."""
    for key in list(os.environ):
        if key.startswith("FIRESIDE_"):
            monkeypatch.delenv(key)
    home = tmp_path / "fireside-home"
    monkeypatch.setenv("FIRESIDE_HOME", str(home))
    return home


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def store(fireside_home: Path) -> Iterator[Store]:
    s = open_store()
    yield s
    s.close()


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider(["Hello there, I am scripted."])


@pytest.fixture
def orchestrator(settings: Settings, store: Store, scripted: ScriptedProvider) -> Orchestrator:
    return Orchestrator(settings, store, provider_factory=lambda _s: scripted)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring backend for the test (restored afterwards)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring backend, as on headless Linux."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
