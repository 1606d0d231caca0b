"""Per-session model state on disk (assistant.session_state): the file format and its
checks, LRU eviction, deletion, and with the real SmolLM2 model: a chat resumed after a
restart loads its state, and a damaged state file is survived with a notice."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.events import MessageDoneEvent, StatusEvent
from assistant.orchestrator import Orchestrator
from assistant.session_state import (
    StateFileError,
    delete_session,
    evict,
    file_for,
    read_state,
    state_dir,
    usage,
    write_state,
)
from assistant.store import open_store
from providers.llama_cpp import LlamaCppProvider
from providers.models import default_model_path

MODEL = "/models/a.gguf|123|456"


def _write(tmp_path: Path, tokens: list[int] | None = None, data: bytes = b"kv" * 500) -> Path:
    path = file_for(tmp_path, "abc123", MODEL, 2048)
    write_state(path, MODEL, 2048, tokens or [1, 2, 3, 4], bytearray(data))
    return path


def test_a_state_file_round_trips(tmp_path: Path) -> None:
    path = _write(tmp_path)
    found = read_state(path, MODEL, 2048)
    assert found == ([1, 2, 3, 4], bytearray(b"kv" * 500))


def test_the_data_is_not_read_when_the_tokens_are_not_wanted(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert read_state(path, MODEL, 2048, lambda tokens: tokens[:1] == [9]) is None


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda raw: raw[: len(raw) // 2], "truncated"),
        (lambda raw: raw[:-1] + bytes([raw[-1] ^ 0xFF]), "checksum"),
        (lambda raw: b"GGUF" + raw[4:], "not a Fireside state file"),
        (lambda raw: raw[:30], "header is damaged"),
        (lambda raw: b"", "not a Fireside state file"),
    ],
)
def test_a_damaged_file_is_refused_with_a_reason(tmp_path: Path, damage, reason: str) -> None:
    path = _write(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(StateFileError, match=reason):
        read_state(path, MODEL, 2048)


def test_a_state_of_another_model_or_context_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    with pytest.raises(StateFileError, match="another model"):
        read_state(path, "/models/a.gguf|123|457", 2048)
    with pytest.raises(StateFileError, match="another model"):
        read_state(path, MODEL, 4096)
    assert file_for(tmp_path, "s", MODEL, 2048) != file_for(tmp_path, "s", MODEL, 4096)


def test_eviction_removes_least_recently_used_files_first(tmp_path: Path) -> None:
    paths = []
    for n, session in enumerate(["old", "mid", "new"]):
        path = file_for(tmp_path, session, MODEL, 2048)
        write_state(path, MODEL, 2048, [1], bytearray(1000))
        os.utime(path, ns=(time.time_ns(), time.time_ns() + n * 10**9))
        paths.append(path)
    size = paths[0].stat().st_size
    assert evict(tmp_path, 2 * size) == 1
    assert [p.exists() for p in paths] == [False, True, True]
    assert usage(tmp_path).files == 2


def test_deleting_a_session_removes_only_its_states(tmp_path: Path) -> None:
    for session in ("aaa", "bbb"):
        write_state(file_for(tmp_path, session, MODEL, 2048), MODEL, 2048, [1], bytearray(8))
    assert delete_session("aaa", tmp_path) == 1
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["bbb"]


def test_sessions_delete_removes_the_saved_state(fireside_home: Path) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    store = open_store()
    session = store.create_session("x").id
    store.close()
    path = file_for(state_dir(), session, MODEL, 2048)
    write_state(path, MODEL, 2048, [1], bytearray(8))
    result = CliRunner().invoke(app, ["sessions", "delete", session, "--yes"])
    assert result.exit_code == 0, result.output
    assert not path.exists()


# -- with the real model ----------------------------------------------------------------------


@pytest.fixture
def make_orchestrator() -> Iterator:
    made: list[Orchestrator] = []

    def make(**settings: object) -> tuple[Orchestrator, LlamaCppProvider]:
        provider = LlamaCppProvider(default_model_path(), context_size=2048, probe=False)
        base = {"temperature": 0.0, "seed": 7, "max_tokens": 24, "tools": {"enabled": False}}
        base.update(settings)
        orch = Orchestrator(
            load_settings(**base), open_store(), provider_factory=lambda _s: provider
        )
        made.append(orch)
        return orch, provider

    yield make
    for orch in made:
        orch.close()
        orch.store.close()


def _turn(orch: Orchestrator, prompt: str, session: str | None = None):  # noqa: ANN202
    events = list(orch.run_turn(prompt, session_id=session))
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    notes = [e.text for e in events if isinstance(e, StatusEvent)]
    return done, notes


def _state_files() -> list[Path]:
    return sorted(state_dir().glob("*.kvstate"))


@pytest.mark.model
def test_a_resumed_chat_loads_its_state_and_evaluates_only_the_new_tokens(
    make_orchestrator,
) -> None:
    orch, _ = make_orchestrator()
    done, _ = _turn(orch, "Tell me about Python lists in two sentences. " * 8)
    session = done.session_id
    _turn(orch, "And tuples?", session)
    orch.close()
    (path,) = _state_files()
    # After a restart: a new model instance with an empty cache.
    orch2, provider = make_orchestrator()
    provider.load()
    saved, _data = read_state(path, provider.identity, provider.context_size)
    history = orch2.history(session)
    history.append({"role": "user", "content": "And sets?"})
    fitted = orch2.fit_prompt(history)
    tokens = provider.prompt_tokens(fitted.messages)
    assert tokens[: len(saved)] == saved  # the state holds a prefix of the next prompt
    assert provider.cached_prefix(tokens) == 0
    note = orch2.session_states.restore(session, provider, tokens)
    assert note is None
    assert provider.cached_prefix(tokens) == len(saved) > 100
    # The turn itself evaluates only what is new, and answers.
    done, notes = _turn(orch2, "And sets?", session)
    assert done.status == "complete" and done.content.strip()
    assert not [n for n in notes if "saved model state" in n]


@pytest.mark.model
def test_a_corrupt_state_file_is_ignored_with_a_notice_and_rebuilt(make_orchestrator) -> None:
    orch, _ = make_orchestrator()
    done, _ = _turn(orch, "Name three fruits.")
    orch.close()
    (path,) = _state_files()
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF  # one flipped byte in the KV data
    path.write_bytes(bytes(raw))
    orch2, _provider = make_orchestrator()
    done2, notes = _turn(orch2, "And three vegetables?", done.session_id)
    assert done2.status == "complete" and done2.content.strip()
    assert any("ignored this chat's saved model state" in n and "corrupt" in n for n in notes)
    orch2.session_states.wait()
    (rebuilt,) = _state_files()
    provider = orch2.provider
    assert read_state(rebuilt, provider.identity, provider.context_size) is not None


@pytest.mark.model
def test_a_truncated_or_foreign_state_file_never_breaks_a_turn(make_orchestrator) -> None:
    orch, _ = make_orchestrator()
    done, _ = _turn(orch, "Name a colour.")
    orch.close()
    (path,) = _state_files()
    path.write_bytes(path.read_bytes()[:5000])
    orch2, _ = make_orchestrator()
    done2, notes = _turn(orch2, "Another one?", done.session_id)
    assert done2.status == "complete"
    assert any("truncated" in n for n in notes)
    orch2.close()
    # A file with a valid header for this model but data llama.cpp cannot load.
    (path,) = _state_files()
    provider = orch2.provider
    provider.load()
    saved, data = read_state(path, provider.identity, provider.context_size)
    write_state(path, provider.identity, provider.context_size, saved, bytearray(len(data)))
    orch3, _ = make_orchestrator()
    done3, notes = _turn(orch3, "And one more?", done.session_id)
    assert done3.status == "complete" and done3.content.strip()
    assert any("does not load" in n for n in notes)


@pytest.mark.model
def test_no_state_is_saved_when_disabled(make_orchestrator) -> None:
    orch, _ = make_orchestrator(state={"enabled": False})
    _turn(orch, "Hi")
    orch.close()
    assert _state_files() == []
