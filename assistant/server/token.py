"""The API's bearer token: one random secret in a 0600 file in the data folder.

A file, not the OS keyring, because the editor plugins must find the token without asking
the user: they read ``<data dir>/api-token`` (the same folder as ``fireside.db``; with
``FIRESIDE_HOME`` set, ``$FIRESIDE_HOME/data/api-token``). Only its owner may read it: a
token file others could read is refused (its secret may have leaked) until it is rotated.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from assistant.errors import ServerError

TOKEN_FILE = "api-token"


def token_path() -> Path:
    """Where the token lives (the file may not exist yet)."""
    from assistant.paths import get_paths

    return get_paths().data_dir / TOKEN_FILE


def _check(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ServerError(f"the API token file {path} is not a regular file; remove it")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise ServerError(
            f"the API token file {path} belongs to another user; remove it and run "
            "`fireside token --rotate`"
        )
    if st.st_mode & 0o077:
        raise ServerError(
            f"the API token file {path} is readable by others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); its token may have leaked: run "
            "`fireside token --rotate` to replace it"
        )


def read_token(path: Path | None = None) -> str | None:
    """The token in the file, or None when there is none yet. Refuses unsafe files."""
    path = path or token_path()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ServerError(f"cannot read the API token file {path}: {exc.strerror}") from None
    try:
        _check(path, os.fstat(fd))
        raw = os.read(fd, 4096)
    finally:
        os.close(fd)
    token = raw.decode("ascii", errors="replace").strip()
    if len(token) < 32:
        raise ServerError(
            f"the API token file {path} holds no usable token; run `fireside token --rotate`"
        )
    return token


def write_token(path: Path | None = None) -> str:
    """A new random token, written atomically to a fresh 0600 file (replacing any old one)."""
    path = path or token_path()
    token = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask says
            os.write(fd, (token + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise ServerError(f"cannot write the API token file {path}: {exc.strerror}") from None
    return token


def get_token(path: Path | None = None) -> str:
    """The token, created on first use."""
    return read_token(path) or write_token(path)
