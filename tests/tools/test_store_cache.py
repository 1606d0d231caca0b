"""The store's tool cache: values by key with a time to live, on a real SQLite file."""

from __future__ import annotations

import time

import pytest

from assistant.store import Store, open_store


def test_put_get_and_replace(store: Store) -> None:
    assert store.cache_get("k") is None
    store.cache_put("k", "search", '{"a": 1}', ttl=60)
    assert store.cache_get("k") == '{"a": 1}'
    store.cache_put("k", "search", "new", ttl=60)
    assert store.cache_get("k") == "new"


def test_expired_values_are_gone(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.cache_put("old", "fetch", "v", ttl=10)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 11)
    assert store.cache_get("old") is None
    store.cache_put("fresh", "fetch", "v", ttl=10)  # cleans up expired rows on the way
    monkeypatch.setattr(time, "time", real)
    assert store.cache_purge(expired_only=False) == 1


def test_zero_ttl_is_not_cached(store: Store) -> None:
    store.cache_put("k", "search", "v", ttl=0)
    assert store.cache_get("k") is None


def test_purge_by_kind_and_survives_reopen(store: Store) -> None:
    store.cache_put("a", "search", "1", ttl=60)
    store.cache_put("b", "fetch", "2", ttl=60)
    assert store.cache_purge(kind="search", expired_only=False) == 1
    store.close()
    again = open_store()
    try:
        assert again.cache_get("b") == "2" and again.cache_get("a") is None
    finally:
        again.close()
