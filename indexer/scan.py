"""Walk a project tree: which files belong in the index, and reading them safely.

Ignore rules, in order of precedence (the deepest, last matching rule wins, as in git):
built-in junk folders (``.git/``, ``node_modules/``, ``.venv/``, caches, build output), then in
every folder its ``.gitignore``, ``.ignore`` and ``.firesideignore`` (gitignore syntax,
via pathspec). Secret files (:mod:`indexer.secret_files`) are skipped whatever the rules say.

Walking never follows a symlink that leaves the root or loops back into a folder already seen.
Reading (:func:`read_source`) skips binary files (a NUL byte in the first 8000 bytes), files over
the size cap and files that vanished or cannot be read; it decodes UTF-8 with replacement.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from indexer.safe_open import open_regular
from indexer.secret_files import is_secret_file, is_secret_path

log = logging.getLogger(__name__)

IGNORE_FILES: tuple[str, ...] = (".gitignore", ".ignore", ".firesideignore")

# Folders and files no one wants in a code index (gitignore syntax).
DEFAULT_IGNORE: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    "node_modules/",
    ".venv/",
    "venv/",
    ".env/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
    ".cache/",
    ".gradle/",
    ".idea/",
    ".next/",
    ".nuxt/",
    ".parcel-cache/",
    ".terraform/",
    "dist/",
    "build/",
    "target/",
    "*.egg-info/",
    "*.pyc",
    "*.pyo",
    "*.so",
    "*.o",
    "*.a",
    "*.dll",
    "*.dylib",
    "*.class",
    "*.min.js",
    "*.min.css",
    "*.map",
    "*.lock",
    "package-lock.json",
    ".DS_Store",
)

BINARY_SNIFF_BYTES = 8000
MAX_IGNORE_FILE_BYTES = 1 << 20  # an ignore file is read up to this size


@dataclass(frozen=True)
class ScannedFile:
    """A candidate file: its path relative to the root (forward slashes) and its stat."""

    rel: str
    path: Path
    size: int
    mtime_ns: int


class _Rules:
    """The ignore specs in force for one folder: (folder prefix, spec) pairs, root first."""

    def __init__(self, specs: tuple[tuple[str, pathspec.PathSpec], ...]) -> None:
        self.specs = specs

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Git semantics: the last matching pattern (deepest file last) decides."""
        verdict = False
        for prefix, spec in self.specs:
            if prefix and not rel.startswith(prefix):
                continue
            sub = rel[len(prefix) :] + ("/" if is_dir else "")
            result = spec.check_file(sub)
            if result.include is not None:
                verdict = result.include
        return verdict


def _read_spec(folder: Path) -> pathspec.PathSpec | None:
    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            with open_regular(folder / name) as handle:  # never blocks on a FIFO
                raw = handle.read(MAX_IGNORE_FILE_BYTES)
            lines.extend(raw.decode("utf-8", errors="replace").splitlines())
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            log.warning("cannot read %s: %s", folder / name, exc)
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


class Scanner:
    """Lists a root's indexable files; also answers for single paths (the watcher's case)."""

    def __init__(self, root: Path, max_file_bytes: int, extra_ignore: tuple[str, ...] = ()) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        base = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_IGNORE, *extra_ignore])
        self._base = _Rules((("", base),))
        self._cache: dict[str, _Rules] = {}
        self.skipped: dict[str, int] = {}

    # -- rules --------------------------------------------------------------------------
    def _rules_for(self, rel_dir: str) -> _Rules:
        """Rules in force inside folder ``rel_dir`` ("" for the root), cached."""
        rules = self._cache.get(rel_dir)
        if rules is not None:
            return rules
        parent = self._base if rel_dir == "" else self._rules_for(_parent(rel_dir))
        spec = _read_spec(self.root / rel_dir if rel_dir else self.root)
        prefix = f"{rel_dir}/" if rel_dir else ""
        rules = _Rules((*parent.specs, (prefix, spec))) if spec is not None else parent
        self._cache[rel_dir] = rules
        return rules

    def forget_rules(self) -> None:
        """Drop cached ignore files (after one of them changed)."""
        self._cache.clear()

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def is_ignored(self, rel: str, is_dir: bool = False) -> bool:
        """True when ``rel`` or one of its folders is ignored (or it is a secret file)."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if self._rules_for(_parent(folder)).ignored(folder, True):
                return True
        if not is_dir and is_secret_path(rel):
            return True
        return self._rules_for(_parent(rel)).ignored(rel, is_dir)

    # -- walking ------------------------------------------------------------------------
    def check(self, rel: str) -> ScannedFile | None:
        """The file at ``rel`` if it belongs in the index now, else None (gone, ignored...)."""
        if self.is_ignored(rel):
            return None
        path = self.root / rel
        try:
            st = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size > self.max_file_bytes:
            return None
        if path.is_symlink() and not _inside(path, self.root):
            return None
        if is_secret_file(rel, self.root):  # a symlink (or a linked folder) to a secret
            return None
        return ScannedFile(display_name(rel), path, st.st_size, st.st_mtime_ns)

    def walk(self) -> Iterator[ScannedFile]:
        """Every indexable file under the root, in a stable order."""
        self.skipped = {}
        root_real = os.path.realpath(self.root)
        try:
            root_st = os.stat(self.root)
        except OSError as exc:
            log.warning("cannot read %s: %s", self.root, exc)
            return
        seen: set[tuple[int, int]] = {(root_st.st_dev, root_st.st_ino)}
        yield from self._walk_dir("", self.root, seen, root_real)

    def _walk_dir(
        self, rel_dir: str, folder: Path, seen: set[tuple[int, int]], root_real: str,
        linked: bool = False,
    ) -> Iterator[ScannedFile]:
        """``linked``: ``folder`` was reached through a symlink (its files' real names differ
        from ``rel``, so each is checked where it resolves to)."""
        rules = self._rules_for(rel_dir)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            self._skip("unreadable")
            return
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if rules.ignored(rel, True):
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen:  # a symlink loop or a second way into a folder
                    self._skip("symlink loop")
                    continue
                if is_link and not _real_inside(entry.path, root_real):
                    self._skip("symlink outside")
                    continue
                seen.add(key)
                yield from self._walk_dir(
                    rel, Path(entry.path), seen, root_real, linked or is_link
                )
                continue
            if not is_file:
                continue
            if is_secret_path(rel):
                self._skip("secret")
                continue
            if rules.ignored(rel, False):
                continue
            if is_link and not _real_inside(entry.path, root_real):
                self._skip("symlink outside")
                continue
            if (is_link or linked) and is_secret_file(rel, root_real):
                self._skip("secret")
                continue
            try:
                st = entry.stat()
            except OSError:  # vanished or dangling
                self._skip("vanished")
                continue
            if st.st_size > self.max_file_bytes:
                self._skip("too large")
                continue
            yield ScannedFile(display_name(rel), Path(entry.path), st.st_size, st.st_mtime_ns)


def read_source(path: Path, max_file_bytes: int, root: Path | None = None) -> str | None:
    """The file's text, or None when it is binary, too large, gone, unreadable, or has
    become a FIFO/device or a link to a secret since it was listed (logged)."""
    try:
        with open_regular(path, root) as handle:
            data = handle.read(max_file_bytes + 1)
    except FileNotFoundError:
        log.info("vanished before reading: %s", path)
        return None
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    if len(data) > max_file_bytes or b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace")


def display_name(rel: str) -> str:
    """``rel`` as the index stores it: a file name that is not valid UTF-8 (bytes Python
    keeps as surrogates, which SQLite cannot store) gets its odd bytes spelled ``\\xff``."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return rel


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0]


def _real_inside(path: str, root_real: str) -> bool:
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _inside(path: Path, root: Path) -> bool:
    return _real_inside(str(path), os.path.realpath(root))
