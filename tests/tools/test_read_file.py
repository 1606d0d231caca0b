"""read_file: confined to the project (``..``, absolute paths, symlinks out), no secrets, no
binaries, line ranges and the line cap; on real files in a temp project."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ToolError
from assistant.tools.base import ToolContext
from assistant.tools.read_file import TOOL, format_lines, read_lines
from assistant.tools.registry import Registry
from providers.base import ToolCall


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("".join(f"line {i}\n" for i in range(1, 51)))
    (root / "README.md").write_text("# Demo\n")
    (root / ".env").write_text("API_KEY=hunter2\n")
    (root / "deploy.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote]\nurl = https://token@host/x\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0IHDR")
    (root / "empty.txt").write_text("")
    (root / "latin.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "outside.txt").write_text("outside secret\n")
    return root


def read(root: Path, path: str, start: int = 1, end: int | None = None, cap: int = 400) -> str:
    return format_lines(read_lines(root, path, start, end, cap))


def test_reads_lines_with_numbers_and_header(project: Path) -> None:
    out = read(project, "src/app.py", 3, 5)
    assert out == "src/app.py:3-5 (of 50 lines)\n3| line 3\n4| line 4\n5| line 5"


def test_whole_file_and_absolute_path_inside(project: Path) -> None:
    out = read(project, str(project / "README.md"))
    assert out == "README.md:1-1 (of 1 lines)\n1| # Demo"
    assert read(project, "./src/../README.md").startswith("README.md:1-1")


def test_line_cap(project: Path) -> None:
    out = read(project, "src/app.py", 1, None, cap=10)
    assert out.splitlines()[0] == "src/app.py:1-10 (of 50 lines)"
    assert "11| line 11" not in out
    assert "continue with start_line=11" in out
    asked_more = read_lines(project, "src/app.py", 45, 200, 400)
    assert asked_more["end_line"] == 50 and not asked_more["capped"]


def test_past_the_end_and_empty(project: Path) -> None:
    with pytest.raises(ToolError, match="has only 50 lines"):
        read(project, "src/app.py", 60)
    assert read(project, "empty.txt") == "empty.txt: (empty file)"


@pytest.mark.parametrize(
    "path",
    ["../outside.txt", "src/../../outside.txt", "/etc/passwd", "~/.bashrc", "..", "/"],
)
def test_escapes_are_refused(project: Path, path: str) -> None:
    with pytest.raises(ToolError, match="outside the project"):
        read(project, path)


def test_symlinks_out_of_the_project_are_refused(project: Path) -> None:
    (project / "link.txt").symlink_to(project.parent / "outside.txt")
    (project / "linkdir").symlink_to(project.parent)
    with pytest.raises(ToolError, match="outside the project"):
        read(project, "link.txt")
    with pytest.raises(ToolError, match="outside the project"):
        read(project, "linkdir/outside.txt")


def test_symlink_inside_the_project_is_fine(project: Path) -> None:
    (project / "alias.py").symlink_to(project / "src" / "app.py")
    assert read(project, "alias.py", 1, 1).startswith("src/app.py:1-1")


def test_project_root_given_through_a_symlink(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "projlink"
    link.symlink_to(project)
    assert read(link, "README.md").startswith("README.md:1-1")


@pytest.mark.parametrize("path", [".env", "deploy.pem", "./.env", "src/../.env"])
def test_secret_files_are_refused(project: Path, path: str) -> None:
    with pytest.raises(ToolError, match="holds secrets"):
        read(project, path)


def test_symlink_to_a_secret_is_refused(project: Path) -> None:
    (project / "notes.txt").symlink_to(project / ".env")
    with pytest.raises(ToolError, match="holds secrets"):
        read(project, "notes.txt")


def test_git_folder_binaries_folders_and_missing(project: Path) -> None:
    with pytest.raises(ToolError, match="under .git"):
        read(project, ".git/config")
    with pytest.raises(ToolError, match="binary"):
        read(project, "logo.png")
    with pytest.raises(ToolError, match="is a folder"):
        read(project, "src")
    with pytest.raises(ToolError, match="no file nope.py"):
        read(project, "nope.py")


def test_fifo_is_refused_without_blocking(project: Path) -> None:
    os.mkfifo(project / "pipe")
    with pytest.raises(ToolError, match="not a regular file"):
        read(project, "pipe")


def test_invalid_utf8_is_replaced(project: Path) -> None:
    assert read(project, "latin.txt").endswith("1| caf\ufffd")


def test_as_a_tool(project: Path, settings: Settings) -> None:
    registry = Registry(settings)
    registry.register(TOOL)
    assert registry.specs(ToolContext(settings=settings)) == ()  # no project: not offered
    ctx = ToolContext(settings=load_settings(tools={"read_max_lines": 5}), project_root=project)
    registry = Registry(ctx.settings)
    registry.register(TOOL)
    ok = registry.run(ToolCall("c", "read_file", {"path": "src/app.py", "start_line": 2}), ctx)
    assert ok.ok and ok.content.startswith("src/app.py:2-6 (of 50 lines)")
    secret = registry.run(ToolCall("c", "read_file", {"path": ".env"}), ctx)
    assert not secret.ok and "secrets" in secret.content and "hunter2" not in secret.content
    backwards = registry.run(
        ToolCall("c", "read_file", {"path": "src/app.py", "start_line": 9, "end_line": 3}), ctx
    )
    assert not backwards.ok and "end_line" in backwards.content
    wrong_type = registry.run(ToolCall("c", "read_file", {"path": "a", "start_line": "x"}), ctx)
    assert not wrong_type.ok and wrong_type.content.startswith("invalid arguments for read_file")


@pytest.mark.parametrize(
    "name", [".envrc", "credentials.json", "service-account.json", "terraform.tfstate",
             "prod.tfvars", ".pgpass", "keystore.p12"],
)
def test_newly_listed_secret_files_are_refused(project: Path, name: str) -> None:
    (project / name).write_text("TOKEN=1\n")
    with pytest.raises(ToolError, match="holds secrets"):
        read(project, name)


def test_a_nested_repository_and_a_linked_git_folder_are_refused(project: Path) -> None:
    (project / "sub" / ".git").mkdir(parents=True)
    (project / "sub" / ".git" / "config").write_text("[remote]\n")
    (project / "meta").symlink_to(".git")
    for path in ("sub/.git/config", "meta/config"):
        with pytest.raises(ToolError, match="under .git"):
            read(project, path)


def test_a_file_swapped_for_a_secret_link_after_the_check(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.tools.read_file as module

    real_resolve = module.resolve_in_project

    def resolve_then_swap(root: Path, path: str) -> tuple[Path, str]:
        found = real_resolve(root, path)
        (project / "README.md").unlink()
        (project / "README.md").symlink_to(".env")
        return found

    monkeypatch.setattr(module, "resolve_in_project", resolve_then_swap)
    with pytest.raises(ToolError, match="holds secrets"):
        read(project, "README.md")


def test_a_file_swapped_for_a_fifo_after_the_check_does_not_hang(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.tools.read_file as module

    real_resolve = module.resolve_in_project

    def resolve_then_swap(root: Path, path: str) -> tuple[Path, str]:
        found = real_resolve(root, path)
        (project / "README.md").unlink()
        os.mkfifo(project / "README.md")
        return found

    monkeypatch.setattr(module, "resolve_in_project", resolve_then_swap)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read(project, "README.md")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # the old open() blocks for a writer: give it one, then fail
        os.close(os.open(project / "README.md", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_file hung on a FIFO")
    assert isinstance(outcome[0], ToolError) and "not a regular file" in str(outcome[0])
