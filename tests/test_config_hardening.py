"""Hostile or mistyped configuration: unknown keys, files that are not regular or too big,
absurd threads and context sizes (capped at the machine and the model, with a notice)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.config_file import MAX_CONFIG_BYTES, unknown_keys
from assistant.errors import ConfigError


def test_an_unknown_key_warns_with_the_nearest_valid_key(
    fireside_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.paths import get_paths

    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("contxt_size = 2048\nwhatever_this_is = 1\n[costs]\n")
    with caplog.at_level(logging.WARNING, logger="assistant.config"):
        settings = load_settings()
    assert settings.context_size == 4096  # ignored, not applied
    text = caplog.text
    assert "unknown setting 'contxt_size'" in text and "did you mean 'context_size'?" in text
    assert "unknown setting 'whatever_this_is'" in text
    assert "costs" not in text


def test_unknown_keys_without_a_near_match() -> None:
    assert unknown_keys({"zzz": 1, "theme": "x"}, ["theme"]) == [
        "unknown setting 'zzz' in the config file (ignored)"]


def test_a_config_that_is_a_fifo_does_not_hang(fireside_home: Path) -> None:
    from assistant.paths import get_paths

    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            load_settings()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("loading the settings hung on a FIFO config")
    assert isinstance(outcome[0], ConfigError) and "not a regular file" in str(outcome[0])


def test_a_config_linked_to_dev_zero_or_too_big_is_refused(fireside_home: Path) -> None:
    from assistant.paths import get_paths

    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings()
    path.unlink()
    path.write_text("# big\n" + "#" * (MAX_CONFIG_BYTES + 10) + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_settings()


def test_absurd_threads_are_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_THREADS", "100000")
    with pytest.raises(ConfigError, match="'threads'"):
        load_settings()


@pytest.mark.model
def test_context_and_threads_are_capped_at_the_model_and_machine() -> None:
    from providers.gguf_header import trained_context
    from providers.llama_cpp import LlamaCppProvider
    from providers.models import default_model_path

    model = default_model_path()
    assert model is not None
    trained = trained_context(model)
    assert trained == 8192  # SmolLM2-135M
    provider = LlamaCppProvider(model, context_size=10**7, threads=1000, probe=False)
    try:
        provider.load()
        assert provider.context_size == trained
        notes = provider.take_notes()
        assert any("context_size 10000000" in n and "using 8192" in n for n in notes)
        assert any("threads 1000" in n for n in notes)
        assert provider.take_notes() == []
    finally:
        provider.close()


def test_trained_context_of_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    from providers.gguf_header import trained_context

    (tmp_path / "x.gguf").write_bytes(b"nope")
    assert trained_context(tmp_path / "x.gguf") is None
    (tmp_path / "t.gguf").write_bytes(b"GGUF\x03\x00")
    assert trained_context(tmp_path / "t.gguf") is None


def test_an_unknown_key_in_a_table_names_the_nearest_one(fireside_home: Path) -> None:
    from assistant.paths import get_paths

    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[index]\nmax_file_byte = 10\n")
    with pytest.raises(ConfigError, match="did you mean 'max_file_bytes'"):
        load_settings()
