"""What the walker indexes and skips: ignore files, junk folders, secrets, binary, huge,
undecodable, vanished and unreadable files, symlink loops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.scan import Scanner, read_source
from tests.indexer.conftest import write


def rels(root: Path, max_bytes: int = 1_000_000) -> list[str]:
    return [f.rel for f in Scanner(root, max_bytes).walk()]


def test_gitignore_ignore_and_firesideignore_including_nested_and_negation(tree: Path) -> None:
    write(tree, ".gitignore", "*.log\n!keep.log\ngenerated/\n")
    write(tree, ".ignore", "scratch.py\n")
    write(tree, ".firesideignore", "docs/private/\n")
    write(tree, "app.py", "x = 1\n")
    write(tree, "debug.log", "noise\n")
    write(tree, "keep.log", "kept\n")
    write(tree, "generated/out.py", "x = 2\n")
    write(tree, "scratch.py", "x = 3\n")
    write(tree, "docs/private/notes.md", "secret plans\n")
    write(tree, "docs/public.md", "hello\n")
    write(tree, "sub/.gitignore", "local.py\n/rooted.py\n")
    write(tree, "sub/local.py", "x\n")
    write(tree, "sub/rooted.py", "x\n")
    write(tree, "sub/deep/rooted.py", "x\n")  # "/rooted.py" only matches in sub/ itself
    write(tree, "sub/deep/local.py", "x\n")  # unanchored: matches at any depth below sub/
    write(tree, "local.py", "x\n")  # sub/.gitignore does not reach up
    found = rels(tree)
    assert "app.py" in found and "keep.log" in found and "docs/public.md" in found
    assert "local.py" in found and "sub/deep/rooted.py" in found
    for gone in ("debug.log", "generated/out.py", "scratch.py", "docs/private/notes.md",
                 "sub/local.py", "sub/rooted.py", "sub/deep/local.py"):
        assert gone not in found, gone
    # ignore files themselves are ordinary text
    assert ".gitignore" in found


def test_junk_folders_are_skipped_by_default(tree: Path) -> None:
    for rel in (".git/config", "node_modules/x/index.js", ".venv/lib/a.py",
                "pkg/__pycache__/a.cpython-311.pyc", "dist/app.js", "build/lib/a.py",
                ".mypy_cache/x.json", "x.egg-info/PKG-INFO"):
        write(tree, rel, "junk\n")
    write(tree, "src/app.py", "x = 1\n")
    assert rels(tree) == ["src/app.py"]


def test_secret_files_never_listed_but_tokens_py_is(tree: Path) -> None:
    for rel in (".env", ".env.local", "certs/server.pem", "server.key", ".ssh/id_rsa",
                "id_ed25519.pub", ".aws/credentials", ".netrc", "release.keystore"):
        write(tree, rel, "SECRET=1\n")
    write(tree, "auth/tokens.py", "def make_token(): ...\n")
    assert rels(tree) == ["auth/tokens.py"]
    assert Scanner(tree, 10**6).check(".env") is None
    assert Scanner(tree, 10**6).check("auth/tokens.py") is not None


def test_size_cap_binary_and_undecodable(tree: Path) -> None:
    write(tree, "big.txt", "a" * 2000)
    write(tree, "small.txt", "hello\n")
    write(tree, "blob.dat", b"abc\x00def")
    write(tree, "latin.py", b"name = 'caf\xe9'\n")
    assert rels(tree, max_bytes=1000) == ["blob.dat", "latin.py", "small.txt"]
    assert read_source(tree / "blob.dat", 1000) is None
    assert read_source(tree / "latin.py", 1000) == "name = 'caf\ufffd'\n"
    assert read_source(tree / "missing.py", 1000) is None  # vanished: None, no exception


def test_symlink_loop_and_links_outside_root(tree: Path, tmp_path: Path) -> None:
    write(tree, "a/file.py", "x = 1\n")
    os.symlink(tree / "a", tree / "a" / "loop")  # a/loop -> a
    os.symlink(tree, tree / "a" / "up")  # a/up -> root
    outside = tmp_path / "outside"
    write(outside, "elsewhere.py", "y = 2\n")
    os.symlink(outside, tree / "ext")
    os.symlink(outside / "elsewhere.py", tree / "linked.py")
    os.symlink(tree / "nowhere.py", tree / "dangling.py")
    assert rels(tree) == ["a/file.py"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_and_file_are_skipped(tree: Path) -> None:
    write(tree, "ok.py", "x = 1\n")
    locked = write(tree, "locked/inner.py", "x = 2\n").parent
    private = write(tree, "private.py", "x = 3\n")
    locked.chmod(0)
    private.chmod(0)
    try:
        found = rels(tree)
        assert "ok.py" in found and "locked/inner.py" not in found
        assert read_source(private, 10**6) is None
    finally:
        locked.chmod(0o755)
        private.chmod(0o644)


def test_permission_denied_at_the_os_boundary(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same faults as above, raised where the OS raises them (this also runs as root)."""
    import builtins

    import indexer.scan as scan

    write(tree, "ok.py", "x = 1\n")
    write(tree, "locked/inner.py", "x = 2\n")
    private = write(tree, "private.py", "x = 3\n")
    real_scandir, real_open = os.scandir, builtins.open

    def scandir(path):  # noqa: ANN001, ANN202
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def guarded_open(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path) == str(private):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    real_os_open = os.open

    def guarded_os_open(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path) == str(private):
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(scan.os, "scandir", scandir)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)  # read_source opens non-blocking
    scanner = Scanner(tree, 10**6)
    found = [f.rel for f in scanner.walk()]
    assert found == ["ok.py", "private.py"] and scanner.skipped == {"unreadable": 1}
    assert read_source(private, 10**6) is None
