"""Open a project file for reading without hanging and without leaking a secret.

A file can change between the moment it was listed or checked and the moment it is opened:
swapped for a FIFO (opening one blocks until a writer comes), a device, or a symlink to a
secret. :func:`open_regular` opens non-blocking, then checks the *opened descriptor*: it must
be a regular file and must not resolve to a secret file (:mod:`indexer.secret_files`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from indexer.secret_files import is_secret_fd


class NotRegularFileError(OSError):
    """The path is (now) a FIFO, socket, device or folder."""


class SecretFileError(OSError):
    """The path resolves (now) to a secret file."""


def open_regular(path: str | Path, root: str | Path | None = None) -> BinaryIO:
    """``path`` opened for binary reading, or NotRegularFileError / SecretFileError /
    another OSError. Never blocks on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{path} is not a regular file")
        if is_secret_fd(fd, root):
            raise SecretFileError(f"{path} resolves to a secret file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
