"""A read-only data folder (a real read-only bind mount): one line per problem, no traceback,
and reads still work."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import IndexerError, StoreError
from assistant.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    """A FIRESIDE_HOME with one saved session, mounted read-only (skips where mounting is not
    allowed: as root, permissions alone do not make a folder read-only)."""
    real = tmp_path / "real-home"
    env = {**os.environ, "FIRESIDE_HOME": str(real), "PYTHONPATH": str(ROOT)}
    seed = ("from assistant.store import open_store; s = open_store(); "
            "i = s.create_session('kept').id; s.add_message(i, 'user', 'hello'); s.close()")
    subprocess.run([sys.executable, "-c", seed], env=env, check=True, cwd=ROOT)
    mounted = tmp_path / "ro-home"
    mounted.mkdir()
    bind = subprocess.run(["mount", "--bind", str(real), str(mounted)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)],
                            capture_output=True)
        if ro.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield mounted
    finally:
        if subprocess.run(["umount", str(mounted)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mounted)], capture_output=True)


def _fireside(home: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIRESIDE_HOME": str(home), "PYTHONPATH": str(ROOT),
           "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def test_the_store_reads_and_refuses_writes_in_one_line(read_only_home: Path) -> None:
    store = Store(read_only_home / "data" / "fireside.db")
    try:
        assert store.read_only
        [session] = store.list_sessions()
        assert [m.content for m in store.messages(session.id)] == ["hello"]
        with pytest.raises(StoreError, match="read-only"):
            store.add_message(session.id, "user", "more")
    finally:
        store.close()


def test_commands_say_it_in_one_line(read_only_home: Path, tmp_path: Path) -> None:
    listed = _fireside(read_only_home, "sessions", "list")
    assert listed.returncode == 0 and "kept" in listed.stdout
    project = tmp_path / "proj"
    project.mkdir()
    (project / "a.py").write_text("x = 1\n")
    indexed = _fireside(read_only_home, "index", "--no-embed", str(project))
    assert indexed.returncode != 0
    assert "read-only" in indexed.stderr and "Traceback" not in indexed.stderr
    assert len(indexed.stderr.strip().splitlines()) == 1
    doctor = _fireside(read_only_home, "doctor")
    assert "Traceback" not in doctor.stdout + doctor.stderr
    assert "(read-only: reads work, nothing is saved)" in doctor.stdout


def test_the_index_says_it_cannot_write(read_only_home: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from indexer.project import ProjectIndex

    monkeypatch.setenv("FIRESIDE_HOME", str(read_only_home))
    project = tmp_path / "p2"
    project.mkdir()
    index = ProjectIndex(project, load_settings())
    with pytest.raises(IndexerError, match="read-only"):
        index.update(embed=False)
