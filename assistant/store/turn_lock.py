"""One turn at a time per session, across threads and processes.

Two front ends (the TUI and an editor, or two ``fireside chat --session ID``) answering in the
same session at once would interleave its rows (user, user, assistant, assistant) and answer
one question from the other's history. A turn therefore holds an exclusive ``flock`` on
``<data dir>/locks/session-<id>.lock`` from the moment its user message is saved until its
answer is; a second turn on that session is refused at once with :class:`SessionBusyError`
(before anything is saved). The kernel drops the lock when a process dies, so a crash never
leaves a session stuck. Lock files are tiny and kept (unlinking a lock file others may have
open breaks the exclusion); deleting a session removes its own.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from assistant.errors import SessionBusyError, StoreError


def lock_path(db_path: Path, session_id: str) -> Path:
    safe = "".join(ch for ch in session_id if ch.isalnum() or ch in "-_")[:64]
    return db_path.parent / "locks" / f"session-{safe}.lock"


class TurnLock:
    """Held while one turn runs in a session; :meth:`release` (idempotent) lets go."""

    def __init__(self, db_path: Path, session_id: str) -> None:
        import fcntl

        path = lock_path(db_path, session_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot start a turn in session {session_id}: cannot write its lock in "
                f"{path.parent} ({exc.strerror})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            where = f" (process {holder})" if holder else ""
            raise SessionBusyError(
                f"session {session_id} is answering another message{where}; wait for that "
                "answer to finish, or start a new session"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the flock

    def __enter__(self) -> TurnLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


def remove_lock(db_path: Path, session_id: str) -> None:
    """Drop a deleted session's lock file (a no-op when there is none)."""
    with contextlib.suppress(OSError):
        lock_path(db_path, session_id).unlink()
