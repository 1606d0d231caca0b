"""ProjectIndex with lexical search only (no embedding model): incremental updates, deletions,
renames, interruptions, the lock, queries people actually type."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.errors import IndexerError, IndexLockedError
from indexer.project import ProjectIndex, find_root, open_project
from indexer.types import IndexProgress
from tests.indexer.conftest import write

Opener = Callable[[Path], ProjectIndex]
REPO_ROOT = Path(__file__).resolve().parents[2]


def small_repo(root: Path) -> None:
    write(root, "src/auth.py", "def check_password(user, password):\n"
          "    return hash_password(password) == user.password_hash\n")
    write(root, "src/db.py", "class Database:\n    def connect(self, url):\n"
          "        return sqlite_connect(url)\n")
    write(root, "README.md", "# Demo\n\nA demo project about parsing invoices.\n")
    write(root, ".env", "API_TOKEN=supersecretvalue\n")
    write(root, ".gitignore", "logs/\n")
    write(root, "logs/app.log", "check_password failed for bob\n")


def paths(hits: list) -> list[str]:
    return [h.path for h in hits]


def test_index_then_search_lexical(tree: Path, open_index: Opener) -> None:
    small_repo(tree)
    project = open_index(tree)
    summary = project.update(embed=False)
    assert (summary.files, summary.added, summary.changed) == (4, 4, 4)
    hits = project.search("check_password", mode="lexical")
    assert paths(hits) == ["src/auth.py"]
    hit = hits[0]
    assert (hit.start_line, hit.end_line) == (1, 2) and hit.symbol == "check_password"
    assert "check_password" in hit.snippet and hit.citation == "src/auth.py:1-2"
    assert project.search("supersecretvalue", mode="lexical") == []  # .env never indexed
    assert project.search("bob failed", mode="lexical") == []  # gitignored
    assert paths(project.search("sqlite connect", mode="lexical", path_glob="src/**")) == [
        "src/db.py"
    ]
    assert project.search("invoices", mode="lexical", path_glob="src/**") == []
    assert paths(project.search("invoices", mode="lexical", path_glob="*.md")) == ["README.md"]


def test_second_run_changes_nothing_and_edits_touch_only_that_file(
    tree: Path, open_index: Opener
) -> None:
    small_repo(tree)
    project = open_index(tree)
    project.update(embed=False)
    again = project.update(embed=False)
    assert (again.changed, again.added, again.deleted, again.files) == (0, 0, 0, 4)
    # touched but same content: no re-chunking
    os.utime(tree / "src/db.py", ns=(1, 1))
    assert project.update(embed=False).changed == 0
    write(tree, "src/auth.py", "def verify_totp(code):\n    return code == '123456'\n")
    summary = project.update(embed=False)
    assert (summary.changed, summary.added, summary.deleted) == (1, 0, 0)
    assert project.search("check_password", mode="lexical") == []
    assert paths(project.search("verify_totp", mode="lexical")) == ["src/auth.py"]


def test_delete_and_rename_remove_old_chunks(tree: Path, open_index: Opener) -> None:
    small_repo(tree)
    project = open_index(tree)
    project.update(embed=False)
    chunks_before = project.status().chunks
    (tree / "src/db.py").unlink()
    summary = project.update(embed=False)
    assert summary.deleted == 1 and project.search("Database", mode="lexical") == []
    assert project.status().chunks < chunks_before
    (tree / "src/auth.py").rename(tree / "src/login.py")
    summary = project.update(embed=False)
    assert (summary.added, summary.deleted) == (1, 1)
    assert paths(project.search("check_password", mode="lexical")) == ["src/login.py"]
    # a file that became binary or was newly ignored leaves the index
    write(tree, "README.md", b"\x00\x01binary now")
    write(tree, ".gitignore", "logs/\nsrc/\n")
    project.update(embed=False)
    assert project.status().files == 1  # only .gitignore is left


def test_file_vanishing_between_scan_and_read(
    tree: Path, open_index: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_repo(tree)
    import indexer.project as project_module

    real = project_module.read_source

    def vanishing(path: Path, limit: int, root: Path | None = None) -> str | None:
        if path.name == "db.py":
            path.unlink()
        return real(path, limit, root)

    monkeypatch.setattr(project_module, "read_source", vanishing)
    project = open_index(tree)
    summary = project.update(embed=False)
    assert summary.files == 3  # indexed the rest, no exception
    assert paths(project.search("check_password", mode="lexical")) == ["src/auth.py"]


def test_cancel_midway_resumes_without_duplicates(
    tree: Path, open_index: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.project as project_module

    monkeypatch.setattr(project_module, "COMMIT_EVERY", 5)
    for i in range(40):
        write(tree, f"m{i:02}.py", f"def func_{i}():\n    return {i}\n")
    cancel = threading.Event()
    seen: list[IndexProgress] = []

    def progress(p: IndexProgress) -> None:
        seen.append(p)
        if p.phase == "lexical" and p.files_done >= 10:
            cancel.set()  # as Ctrl+C does

    project = open_index(tree)
    first = project.update(progress=progress, cancel=cancel, embed=False)
    assert 10 <= first.files < 40
    second = project.update(embed=False)
    assert second.files == 40 and second.added == 40 - first.files
    assert project.status().chunks == 40  # one chunk per file, none twice
    assert paths(project.search("func_7", mode="lexical"))[0] == "m07.py"


def test_queries_that_are_empty_long_or_fts_syntax(tree: Path, open_index: Opener) -> None:
    small_repo(tree)
    project = open_index(tree)
    project.update(embed=False)
    assert project.search("", mode="lexical") == []
    assert project.search("   \n", mode="lexical") == []
    for odd in ['"unbalanced', "AND OR NOT", "pass*", "NEAR(", "col:value", "a - b ^ c",
                "'); DROP TABLE chunks; --", "()", "*"]:
        assert isinstance(project.search(odd, mode="lexical"), list)
    report = (
        "Traceback (most recent call last):\n  File \"src/auth.py\", line 2, in check_password\n"
        "TypeError: unsupported operand\n" + "Steps to reproduce: log in, wait, retry. " * 600
    )
    assert len(report) > 20_000
    assert paths(project.search(report, mode="lexical"))[0] == "src/auth.py"


def test_status_and_not_indexed_errors(tree: Path, open_index: Opener, tmp_path: Path) -> None:
    project = open_index(tree)
    with pytest.raises(IndexerError, match="fireside index"):
        project.search("x", mode="lexical")
    with pytest.raises(IndexerError, match="fireside index"):
        project.status()
    small_repo(tree)
    project.update(embed=False)
    status = project.status()
    assert (status.files, status.embedded, status.pending) == (4, 0, status.chunks)
    assert status.last_update is not None and status.model == "all-MiniLM-L6-v2-int8"
    with pytest.raises(IndexerError, match="does not exist"):
        open_project(tmp_path / "missing", project.settings)
    with pytest.raises(IndexerError, match="is a file"):
        open_project(tree / "README.md", project.settings)


def test_find_root_prefers_git_root(tree: Path) -> None:
    (tree / ".git").mkdir()
    (tree / "a" / "b").mkdir(parents=True)
    assert find_root(tree / "a" / "b") == tree.resolve()
    plain = tree.parent / "plain"
    plain.mkdir()
    assert find_root(plain) == plain.resolve()


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from assistant.config import load_settings
from indexer.project import open_project
project = open_project(Path(sys.argv[1]), load_settings())
project.update(embed=False)
print("locked", flush=True)
sys.stdin.readline()
project.close()
"""


@pytest.mark.slow
def test_second_process_cannot_write_but_can_search(tree: Path, open_index: Opener) -> None:
    small_repo(tree)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(tree)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        project = open_index(tree)
        assert paths(project.search("check_password", mode="lexical")) == ["src/auth.py"]
        with pytest.raises(IndexLockedError, match="another Fireside process"):
            project.update(embed=False)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    assert project.update(embed=False).changed == 0  # the lock is free again
