"""Ctrl+C during `fireside chat` stops the answer and saves it (real model, real signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assistant.store import open_store

pytestmark = pytest.mark.model


def test_ctrl_c_mid_answer_saves_the_partial_answer_and_exits_130() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat", "--max-tokens", "400",
         "Write a long essay about the history of dragons."],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.read(20)  # the answer has started streaming
        assert first
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 60
        out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    err_text = err.decode()
    assert "partial answer saved" in err_text and "Traceback" not in err_text
    store = open_store()
    session = store.list_sessions()[0]
    answer = store.messages(session.id)[-1]
    assert answer.role == "assistant" and answer.status == "cancelled"
    assert answer.content.startswith((first + out).decode(errors="ignore").strip()[:10])
    assert answer.completion_tokens < 400
