"""One turn at a time per session, across real processes: a second turn on a session that is
answering is refused before anything is saved, and the rows never interleave."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import SessionBusyError
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider

ROOT = Path(__file__).resolve().parents[1]

# A second process that runs one turn whose model waits for the `go` file before answering.
CHILD = """
import pathlib, sys, time
from assistant.config import load_settings
from assistant.orchestrator import Orchestrator
from assistant.store import open_store
from tests.support.scripted import ScriptedProvider

session, started, go = sys.argv[1:4]

class Gate(ScriptedProvider):
    def stream(self, messages, options, cancel):
        pathlib.Path(started).write_text("started")
        while not pathlib.Path(go).exists():
            time.sleep(0.02)
        yield from super().stream(messages, options, cancel)

store = open_store()
orch = Orchestrator(load_settings(), store, provider_factory=lambda _s: Gate(["answer A"]))
for event in orch.run_turn("question A", session_id=session, tools=False):
    pass
store.close()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait_for(path: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the other process ended early: {proc.stderr.read()!r}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the other process never started its turn")
        time.sleep(0.05)


def test_a_second_turn_on_a_busy_session_is_refused_across_processes(
    tmp_path: Path, store: Store, orchestrator: Orchestrator, scripted: ScriptedProvider
) -> None:
    session = store.create_session("shared").id
    started, go = tmp_path / "started", tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, session, str(started), str(go)],
        env=_env(), stderr=subprocess.PIPE, cwd=ROOT,
    )
    try:
        _wait_for(started, proc)
        with pytest.raises(SessionBusyError, match=f"session {session} is answering"):
            list(orchestrator.run_turn("question B", session_id=session, tools=False))
        assert [m.content for m in store.messages(session)] == ["question A"]  # nothing saved
    finally:
        go.write_text("go")
        assert proc.wait(60) == 0, proc.stderr.read()
    # once A is answered, B runs and sees A's whole exchange
    list(orchestrator.run_turn("question B", session_id=session, tools=False))
    rows = [(m.role, m.content) for m in store.messages(session)]
    assert rows == [("user", "question A"), ("assistant", "answer A"),
                    ("user", "question B"), ("assistant", "Hello there, I am scripted.")]
    sent = [m["content"] for m in scripted.requests[-1]]
    assert "question A" in sent and "answer A" in sent


def test_the_lock_is_let_go_when_a_turn_ends_however_it_ends(
    store: Store, orchestrator: Orchestrator
) -> None:
    session = store.create_session("s").id
    events = orchestrator.run_turn("first", session_id=session, tools=False)
    next(events)  # the turn holds the session now
    with pytest.raises(SessionBusyError):
        next(orchestrator.run_turn("second", session_id=session, tools=False))
    events.close()  # the consumer gave up mid-turn
    list(orchestrator.run_turn("third", session_id=session, tools=False))
    assert [m.content for m in store.messages(session) if m.role == "user"] == ["first", "third"]


def test_a_crashed_process_does_not_leave_the_session_stuck(
    tmp_path: Path, store: Store, orchestrator: Orchestrator
) -> None:
    session = store.create_session("s").id
    started, go = tmp_path / "started", tmp_path / "never"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, session, str(started), str(go)],
        env=_env(), stderr=subprocess.PIPE, cwd=ROOT,
    )
    _wait_for(started, proc)
    proc.kill()
    proc.wait(30)
    list(orchestrator.run_turn("after the crash", session_id=session, tools=False))
    assert store.messages(session)[-1].role == "assistant"


def test_the_cli_says_so_in_one_line(store: Store) -> None:
    session = store.create_session("s").id
    with store.turn_lock(session):
        result = subprocess.run(
            [sys.executable, "-m", "assistant", "chat", "--session", session, "hello"],
            env=_env(), capture_output=True, text=True, timeout=120, cwd=ROOT,
        )
    assert result.returncode != 0
    assert "is answering another message" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert store.messages(session) == []
