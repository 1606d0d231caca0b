"""Chunk vectors in Chroma: an embedded folder (PersistentClient) or a server (HttpClient).

``[vector_store] url`` empty → ``<index dir>/chroma``; set → that Chroma server; the code path
is the same. We always pass our own embeddings: Chroma's default embedding function (which
downloads a model) is never used. One collection per (project, embedding model): a changed model
gets a new collection, never mixed vectors. An embedded folder that fails to load or query
(corrupt HNSW or SQLite files, deleted under us) is deleted and recreated when this process owns
the index (``can_rebuild``); the caller is told (``on_rebuilt``) so it can re-add vectors from
its cache. A server's errors are reported, never "repaired".
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from assistant.errors import IndexerError

log = logging.getLogger(__name__)


def collection_name(project_id: str, model_id: str) -> str:
    """``fs-<project>-<model slug>-<hash>``: 3–63 characters Chroma accepts."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", model_id).strip("-").lower()[:20] or "model"
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:8]
    return f"fs-{project_id}-{slug}-{digest}"


class VectorStore:
    def __init__(
        self,
        folder: Path,
        url: str | None,
        collection: str,
        on_rebuilt: Callable[[str], None] | None = None,
        can_rebuild: Callable[[], bool] | None = None,
    ) -> None:
        self.folder = folder
        self.url = (url or "").strip() or None
        self.name = collection
        self._on_rebuilt = on_rebuilt
        self._can_rebuild = can_rebuild
        self._client: Any = None
        self._collection: Any = None
        self._lock = threading.RLock()

    @property
    def where(self) -> str:
        return self.url or str(self.folder)

    # -- connection ---------------------------------------------------------------------
    def _settings(self) -> Any:
        from chromadb.config import Settings

        return Settings(anonymized_telemetry=False, allow_reset=False)

    def _connect(self) -> Any:
        import chromadb

        if self.url:
            parsed = urlparse(self.url if "://" in self.url else f"http://{self.url}")
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise IndexerError(f"vector_store.url {self.url!r} is not an http(s) URL")
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            try:
                return chromadb.HttpClient(
                    host=parsed.hostname, port=port, ssl=parsed.scheme == "https",
                    settings=self._settings(),
                )
            except Exception as exc:  # noqa: BLE001
                raise IndexerError(
                    f"cannot reach the Chroma server at {self.url}: {_first_line(exc)}"
                ) from None
        self.folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.folder), settings=self._settings())

    def collection(self) -> Any:
        with self._lock:
            if self._collection is not None:
                return self._collection
            try:
                self._client = self._connect()
                self._collection = self._client.get_or_create_collection(
                    self.name, metadata={"hnsw:space": "cosine"}, embedding_function=None
                )
            except IndexerError:
                raise
            except Exception as exc:  # noqa: BLE001
                self._recover(exc)
                return self.collection()
            return self._collection

    def _recover(self, exc: BaseException) -> None:
        """A broken embedded folder is rebuilt; a server error is reported."""
        if self.url:
            raise IndexerError(
                f"the Chroma server at {self.url} failed: {_first_line(exc)}"
            ) from None
        if getattr(self, "_rebuilding", False) or (
            self._can_rebuild is not None and not self._can_rebuild()
        ):
            raise IndexerError(f"cannot open the vector index {self.folder}: {_first_line(exc)}")
        log.warning("vector index %s unusable: %s", self.folder, exc)
        self._rebuilding = True
        try:
            self.close()
            _forget_system(self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)
            self._client = self._connect()
            self._collection = self._client.get_or_create_collection(
                self.name, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        except Exception as again:  # noqa: BLE001
            raise IndexerError(
                f"cannot rebuild the vector index {self.folder}: {_first_line(again)}"
            ) from None
        finally:
            self._rebuilding = False
        if self._on_rebuilt is not None:
            self._on_rebuilt(_first_line(exc))

    def _run(self, action: Callable[[Any], Any], retry: bool = True) -> Any:
        with self._lock:
            collection = self.collection()
            try:
                return action(collection)
            except IndexerError:
                raise
            except Exception as exc:  # noqa: BLE001
                if not retry:
                    raise IndexerError(f"vector store failed: {_first_line(exc)}") from None
                self._recover(exc)
                return self._run(action, retry=False)

    # -- operations ---------------------------------------------------------------------
    def upsert(self, ids: Sequence[int], blobs: Sequence[bytes], paths: Sequence[str]) -> None:
        from indexer.vectors_exact import as_matrix

        if not ids:
            return
        vectors = as_matrix(blobs)
        self._run(
            lambda c: c.upsert(
                ids=[str(i) for i in ids],
                embeddings=vectors,
                metadatas=[{"path": p} for p in paths],
            )
        )

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self._run(lambda c: c.delete(ids=[str(i) for i in ids]))

    def query(self, vector: Any, n: int) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) nearest first."""
        import numpy as np

        def run(c: Any) -> list[tuple[int, float]]:
            count = c.count()
            if count == 0:
                return []
            result = c.query(
                query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                n_results=min(n, count),
                include=["distances"],
            )
            return [
                (int(i), float(d))
                for i, d in zip(result["ids"][0], result["distances"][0], strict=True)
            ]

        return self._run(run)

    def count(self) -> int:
        return int(self._run(lambda c: c.count()))

    def drop(self) -> None:
        """Delete this collection (and, when embedded, the folder)."""
        with self._lock:
            if self.url:
                try:
                    self.collection()
                    self._client.delete_collection(self.name)
                except Exception as exc:  # noqa: BLE001
                    raise IndexerError(
                        f"cannot drop the collection on {self.url}: {_first_line(exc)}"
                    ) from None
            self.close()
            if not self.url:
                shutil.rmtree(self.folder, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._collection = None
            client, self._client = self._client, None
            if client is not None and hasattr(client, "close"):
                try:
                    client.close()  # releases the embedded folder's SQLite files
                except Exception:  # noqa: BLE001 - best effort
                    log.debug("closing the chroma client failed", exc_info=True)

def _forget_system(folder: Path) -> None:
    """Drop chromadb's cached client system for a folder (it would hand back the broken one)."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
        if system is not None:
            system.stop()
    except Exception:  # noqa: BLE001 - private API of one chromadb version: best effort
        log.debug("could not drop chroma's cached system", exc_info=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__
