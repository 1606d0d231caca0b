"""Hostile files in a project: secrets behind symlinks, nested repositories, names that are
not UTF-8, a file swapped for a FIFO after listing, a long one-line file. Real files, real
SQLite index."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from indexer import scan as scan_module
from indexer.project import ProjectIndex
from indexer.scan import Scanner, read_source


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[remote]\nurl = https://GITTOKEN@host/x\n")
    (root / ".env").write_text("API_KEY=sk-XYZ\n")
    (root / "main.py").write_text("def main():\n    return 1\n")
    return root


def _index(root: Path, settings) -> ProjectIndex:  # noqa: ANN001
    project = ProjectIndex(root, settings)
    project.update(embed=False)
    return project


def _paths(project: ProjectIndex, query: str) -> list[str]:
    return [hit.path for hit in project.search(query, mode="lexical")]


def test_a_symlink_to_a_secret_is_not_indexed(proj: Path, settings) -> None:  # noqa: ANN001
    (proj / "notes.txt").symlink_to(".env")
    (proj / "x.txt").symlink_to(".git/config")
    (proj / "meta").symlink_to(".git")  # a linked folder into .git
    (proj / "alias.py").symlink_to("main.py")  # an ordinary link still counts
    project = _index(proj, settings)
    try:
        assert _paths(project, "API_KEY") == []
        assert _paths(project, "GITTOKEN") == []
        assert sorted(f.rel for f in Scanner(proj, 10**6).walk()) == ["alias.py", "main.py"]
        assert set(_paths(project, "main")) == {"alias.py", "main.py"}
    finally:
        project.close()


def test_a_link_retargeted_to_a_secret_after_indexing(proj: Path, settings) -> None:  # noqa: ANN001
    (proj / "notes.txt").write_text("API_KEY is read from the environment\n")
    project = _index(proj, settings)
    try:
        assert _paths(project, "API_KEY") == ["notes.txt"]
        (proj / "notes.txt").unlink()
        (proj / "notes.txt").symlink_to(".env")
        # search itself never hands out a file that now resolves to a secret ...
        assert _paths(project, "API_KEY") == []
        # ... and the watcher's single-file check drops it
        project.update(embed=False, paths=["notes.txt"])
        assert project.status().files == 1
    finally:
        project.close()


def test_nested_repository_and_new_secret_names_are_not_indexed(
    proj: Path, settings  # noqa: ANN001
) -> None:
    (proj / "sub" / ".git").mkdir(parents=True)
    (proj / "sub" / ".git" / "config").write_text("SUBTOKEN\n")
    for name in (".envrc", "credentials.json", "service-account.json", "prod.tfvars"):
        (proj / name).write_text("SECRETVALUE\n")
    project = _index(proj, settings)
    try:
        assert _paths(project, "SUBTOKEN") == [] and _paths(project, "SECRETVALUE") == []
    finally:
        project.close()


def test_a_file_name_that_is_not_utf8_is_indexed_and_stops_nothing(
    proj: Path, settings  # noqa: ANN001
) -> None:
    bad = os.fsencode(proj) + b"/bad_\xff.py"
    with open(bad, "wb") as handle:
        handle.write(b"oddname_marker = 1\n")
    project = _index(proj, settings)
    try:
        assert project.status().files == 2
        assert _paths(project, "oddname_marker") == ["bad_\\xff.py"]
        assert _paths(project, "main") == ["main.py"]
        summary = project.update(embed=False)  # stable: nothing re-indexed or deleted
        assert (summary.changed, summary.files) == (0, 2)
        os.unlink(bad)
        project.update(embed=False, paths=[os.fsdecode(b"bad_\xff.py")])
        assert project.status().files == 1
    finally:
        project.close()


def test_a_file_swapped_for_a_fifo_after_listing_does_not_hang(
    proj: Path, settings, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    (proj / "later.py").write_text("x = 1\n")
    real_walk = Scanner.walk

    def walk_then_swap(self: Scanner):  # noqa: ANN202
        found = list(real_walk(self))
        (proj / "later.py").unlink()
        os.mkfifo(proj / "later.py")
        return iter(found)

    monkeypatch.setattr(Scanner, "walk", walk_then_swap)
    project = ProjectIndex(proj, settings)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (project.update(embed=False), done.set()),
                              daemon=True)
    thread.start()
    try:
        assert done.wait(10), "indexing hung on a FIFO"
        assert project.status().files == 1
    finally:
        if not done.is_set():  # unblock the stuck open() so the test run can end
            fd = os.open(proj / "later.py", os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        thread.join(5)
        project.close()


def test_read_source_refuses_fifos_and_links_to_secrets(proj: Path) -> None:
    os.mkfifo(proj / "pipe.py")
    assert read_source(proj / "pipe.py", 10**6, proj) is None
    (proj / "n.txt").symlink_to(".env")
    assert read_source(proj / "n.txt", 10**6, proj) is None
    assert read_source(proj / "main.py", 10**6, proj) == "def main():\n    return 1\n"


def test_an_ignore_file_that_is_a_fifo_does_not_hang(proj: Path) -> None:
    os.mkfifo(proj / ".gitignore")
    found: list[str] = []
    thread = threading.Thread(
        target=lambda: found.extend(f.rel for f in Scanner(proj, 10**6).walk()), daemon=True
    )
    thread.start()
    thread.join(10)
    if thread.is_alive():
        fd = os.open(proj / ".gitignore", os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("listing hung on a FIFO .gitignore")
    assert found == ["main.py"]
    assert scan_module.MAX_IGNORE_FILE_BYTES > 0


def test_the_tail_of_a_long_single_line_file_is_searchable(
    proj: Path, settings  # noqa: ANN001
) -> None:
    (proj / "long.txt").write_text("word " * 3000 + "zyxunique\n")
    project = _index(proj, settings)
    try:
        assert _paths(project, "zyxunique") == ["long.txt"]
    finally:
        project.close()
