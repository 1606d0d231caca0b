"""``fireside token`` and ``fireside serve``: the token file, bind-address safety, a port in
use, and the real command serving requests."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import ServerError
from assistant.server.run import check_host
from assistant.server.token import get_token, read_token, token_path, write_token

runner = CliRunner()


def test_the_token_is_created_once_in_a_0600_file(fireside_home: Path) -> None:
    path = token_path()
    assert path == fireside_home / "data" / "api-token"
    assert not path.exists()
    first = runner.invoke(app, ["token"])
    assert first.exit_code == 0
    token = first.stdout.strip()
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert runner.invoke(app, ["token"]).stdout.strip() == token
    assert runner.invoke(app, ["token", "--path"]).stdout.strip() == str(path)


def test_rotate_replaces_the_token(fireside_home: Path) -> None:
    old = get_token()
    result = runner.invoke(app, ["token", "--rotate"])
    assert result.exit_code == 0
    new = result.stdout.strip()
    assert new != old and read_token() == new
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600


def test_the_file_is_0600_whatever_the_umask(fireside_home: Path) -> None:
    previous = os.umask(0)
    try:
        write_token()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_a_token_file_others_can_read_is_refused(fireside_home: Path, mode: int) -> None:
    get_token()
    token_path().chmod(mode)
    with pytest.raises(ServerError, match="readable by others"):
        read_token()
    result = runner.invoke(app, ["token"])
    assert result.exit_code == 1
    assert "Error: the API token file" in result.stderr and "--rotate" in result.stderr
    assert "Traceback" not in result.output
    rotated = runner.invoke(app, ["token", "--rotate"])  # the way out
    assert rotated.exit_code == 0
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600


def test_a_symlinked_or_empty_token_file_is_refused(fireside_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("x" * 50)
    target.chmod(0o600)
    token_path().parent.mkdir(parents=True, exist_ok=True)
    token_path().symlink_to(target)
    with pytest.raises(ServerError):
        read_token()
    token_path().unlink()
    token_path().write_text("\n")
    token_path().chmod(0o600)
    with pytest.raises(ServerError, match="no usable token"):
        read_token()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_serve_refuses_a_non_loopback_host_without_the_flag(host: str) -> None:
    result = runner.invoke(app, ["serve", "--host", host, "--port", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: refusing to listen on")
    assert "--allow-remote" in result.stderr and "Traceback" not in result.output


def test_allow_remote_warns() -> None:
    assert check_host("127.0.0.1", False) is None
    assert check_host("::1", False) is None
    assert check_host("localhost", False) is None
    warning = check_host("0.0.0.0", True)
    assert warning is not None and warning.startswith("Warning:")


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: port {port} on 127.0.0.1 is already in use (another `fireside serve`?); "
        "stop it or pick another with --port"
    )


@pytest.mark.model
@pytest.mark.slow
def test_fireside_serve_answers_and_stops_cleanly_on_ctrl_c(fireside_home: Path) -> None:
    env = {**os.environ, "OMP_WAIT_POLICY": "passive", "FIRESIDE_MAX_TOKENS": "8"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        assert proc.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            found = re.search(r"Fireside API on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, "fireside serve did not report its address"
        token = read_token()
        health = httpx.get(f"{url}/api/v1/health", timeout=10).json()
        assert health["model"]["loaded"] is True
        answer = httpx.post(
            f"{url}/v1/chat/completions", timeout=60,
            headers={"Authorization": f"Bearer {token}"},
            json={"model": "fireside", "messages": [{"role": "user", "content": "Hi"}]},
        )
        assert answer.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_with_a_missing_model_is_one_line_and_frees_the_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["serve", "--port", str(port),
                                 "--model", str(tmp_path / "nope.gguf")])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "nope.gguf" in lines[0]
    assert "Traceback" not in result.output
    with socket.socket() as again:  # the port was given back
        again.bind(("127.0.0.1", port))
