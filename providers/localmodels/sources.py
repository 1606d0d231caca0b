"""Where GGUF files already live on this machine, and what each store calls them.

Each finder returns :class:`Candidate` files (nothing is read beyond directory listings and
Ollama's small manifest files). Nothing is copied or moved: a model is used where it is.

Stores: the embedded model, Fireside's own ``<data dir>/models``, the config's
``models_dirs``, Ollama (``$OLLAMA_MODELS`` or ``~/.ollama/models``), LM Studio
(``~/.lmstudio/models``, ``~/.cache/lm-studio/models``) and the Hugging Face hub cache
(``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

OLLAMA_MODEL_MEDIA = "application/vnd.ollama.image.model"
_MAX_DEPTH = 6  # folders below a models folder that are searched


@dataclass(frozen=True)
class Candidate:
    """A file that may be a model: its store, the name the store gives it, and its path."""

    source: str
    path: Path
    name: str | None = None  # None: derived from the file name
    repo: str | None = None


def fireside_models_dir() -> Path:
    from assistant.paths import get_paths

    return get_paths().data_dir / "models"


def ollama_root() -> Path:
    configured = os.environ.get("OLLAMA_MODELS")
    return Path(configured).expanduser() if configured else Path.home() / ".ollama" / "models"


def lmstudio_roots() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def hf_hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def walk_gguf(root: Path, depth: int = _MAX_DEPTH) -> Iterator[Path]:
    """``*.gguf`` files below ``root`` (sorted, hidden folders skipped, bounded depth)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir():
                if depth > 0:
                    yield from walk_gguf(Path(entry.path), depth - 1)
            elif entry.name.lower().endswith(".gguf"):
                yield Path(entry.path)
        except OSError:
            continue


def embedded() -> Iterator[Candidate]:
    from providers.models import default_model_path

    path = default_model_path()
    if path is not None:
        yield Candidate("embedded", path)


def folder(root: Path, source: str) -> Iterator[Candidate]:
    for path in walk_gguf(root):
        yield Candidate(source, path)


def ollama(root: Path | None = None) -> Iterator[Candidate]:
    """Ollama's models: ``manifests/HOST/NAMESPACE/MODEL/TAG`` name a ``blobs/sha256-…``."""
    root = root or ollama_root()
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.glob("*/*/*/*") if p.is_file()):
        host, namespace, model, tag = manifest.relative_to(manifests).parts
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            layers = data.get("layers") or []
        except (OSError, ValueError, AttributeError):
            continue
        digest = next((layer.get("digest") for layer in layers if isinstance(layer, dict)
                       and layer.get("mediaType") == OLLAMA_MODEL_MEDIA), None)
        if not isinstance(digest, str) or not digest.startswith("sha256:"):
            continue
        if host == "registry.ollama.ai":
            name = model if namespace == "library" else f"{namespace}/{model}"
        else:
            name = f"{host}/{namespace}/{model}"
        blob = root / "blobs" / digest.replace(":", "-")
        yield Candidate("ollama", blob, name=f"{name}:{tag}", repo=None)


def hf_cache(root: Path | None = None) -> Iterator[Candidate]:
    """``models--OWNER--REPO/snapshots/REVISION/…/*.gguf`` (symlinks into ``blobs``)."""
    root = root or hf_hub_cache()
    try:
        repos = sorted(p for p in root.iterdir() if p.name.startswith("models--"))
    except OSError:
        return
    for repo_dir in repos:
        repo = repo_dir.name.removeprefix("models--").replace("--", "/", 1)
        snapshots = repo_dir / "snapshots"
        try:
            revisions = sorted(snapshots.iterdir(), key=_mtime, reverse=True)
        except OSError:
            continue
        for revision in revisions:  # newest first: an older copy of the same file is a dup
            for path in walk_gguf(revision):
                yield Candidate("hf-cache", path, repo=repo)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def all_candidates(models_dirs: list[str] | tuple[str, ...] = ()) -> Iterator[Candidate]:
    """Every store, in the order names are preferred when two stores use the same one."""
    yield from embedded()
    yield from folder(fireside_models_dir(), "fireside")
    for configured in models_dirs:
        yield from folder(Path(configured).expanduser(), "models_dir")
    yield from ollama()
    for root in lmstudio_roots():
        yield from folder(root, "lmstudio")
    yield from hf_cache()
