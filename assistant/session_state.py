"""Per-session model state on disk, so a long chat reopened after a restart answers at once.

After each local turn the llama.cpp state (KV cache) is saved, in a background thread, to
``<data dir>/state/<session>-<key>.kvstate``, cut to the tokens the next turn's prompt will
share (system prompt, history and this answer). ``key`` hashes the model file's identity
(path, size, mtime) and the context size; the file's header repeats them with the number of
tokens, a SHA-256 of those tokens and a CRC-32 of the data, and all of it is checked before a
state is used. The next turn of that session loads the state when its tokens are a prefix of
the new prompt and the live cache holds less of it; llama.cpp then evaluates only the rest.

A truncated, corrupt or foreign file is deleted and ignored with a one-line notice (and a new
state is saved after the turn). ``[state] max_bytes`` caps the folder: the least recently used
files go first. Nothing here imports llama_cpp; the provider does the copying.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.background import Background
from assistant.errors import FiresideError

log = logging.getLogger(__name__)

MAGIC = b"FIRESIDE-KVSTATE-1\n"
SUFFIX = ".kvstate"
_LEN = struct.Struct("<I")


class StateFileError(FiresideError):
    """A saved state cannot be used (damaged, foreign, or for another model or context)."""


@dataclass(frozen=True)
class StateHeader:
    model: str
    n_ctx: int
    n_tokens: int
    tokens_sha256: str
    data_bytes: int
    data_crc32: int


@dataclass(frozen=True)
class CacheUsage:
    files: int
    bytes: int


def state_dir() -> Path:
    from assistant.paths import get_paths

    return get_paths().data_dir / "state"


def tokens_hash(tokens: Sequence[int]) -> str:
    return hashlib.sha256(struct.pack(f"<{len(tokens)}i", *tokens)).hexdigest()


def file_for(folder: Path, session_id: str, model: str, n_ctx: int) -> Path:
    key = hashlib.sha256(f"{model}\0{n_ctx}".encode()).hexdigest()[:12]
    return folder / f"{session_id}-{key}{SUFFIX}"


# -- the file format ----------------------------------------------------------------------


def write_state(
    path: Path, model: str, n_ctx: int, tokens: Sequence[int], data: Any
) -> int:
    """Write a state file atomically (a temp file renamed into place); returns its size."""
    view = memoryview(data).cast("B")
    header = StateHeader(
        model, n_ctx, len(tokens), tokens_hash(tokens), view.nbytes, zlib.crc32(view)
    )
    head = json.dumps(header.__dict__).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with tmp.open("wb") as out:
            out.write(MAGIC)
            out.write(_LEN.pack(len(head)))
            out.write(head)
            out.write(struct.pack(f"<{len(tokens)}i", *tokens))
            out.write(view)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.stat().st_size


def read_state(
    path: Path, model: str, n_ctx: int, wanted: Callable[[list[int]], bool] = lambda _t: True
) -> tuple[list[int], bytearray] | None:
    """The tokens and data of a state file, after checking everything (StateFileError when
    it cannot be used); None when ``wanted(tokens)`` says no (the data is then not read)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if handle.read(len(MAGIC)) != MAGIC:
                raise StateFileError("not a Fireside state file")
            header = _read_header(handle)
            if header.model != model or header.n_ctx != n_ctx:
                raise StateFileError("it was saved for another model file or context size")
            head_end = handle.tell()
            if header.n_tokens <= 0 or size != head_end + 4 * header.n_tokens + header.data_bytes:
                raise StateFileError("it is truncated")
            raw_tokens = handle.read(4 * header.n_tokens)
            tokens = list(struct.unpack(f"<{header.n_tokens}i", raw_tokens))
            if tokens_hash(tokens) != header.tokens_sha256:
                raise StateFileError("its checksum does not match (corrupt)")
            if not wanted(tokens):
                return None
            data = bytearray(header.data_bytes)
            if handle.readinto(data) != header.data_bytes:
                raise StateFileError("it is truncated")
    except OSError as exc:
        raise StateFileError(f"cannot read it ({exc.strerror})") from None
    if zlib.crc32(data) != header.data_crc32:
        raise StateFileError("its checksum does not match (corrupt)")
    return tokens, data


def _read_header(handle: Any) -> StateHeader:
    try:
        (head_len,) = _LEN.unpack(handle.read(_LEN.size))
        if head_len > 1 << 20:
            raise ValueError("header too long")
        return StateHeader(**json.loads(handle.read(head_len)))
    except (struct.error, ValueError, TypeError) as exc:
        raise StateFileError(f"its header is damaged ({exc})") from None


# -- the cache folder -----------------------------------------------------------------------


def usage(folder: Path | None = None) -> CacheUsage:
    files = list((folder or state_dir()).glob(f"*{SUFFIX}"))
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            continue
    return CacheUsage(len(files), total)


def evict(folder: Path, max_bytes: int, keep: Path | None = None) -> int:
    """Delete least-recently-used files until the folder fits ``max_bytes``; how many went."""
    entries = []
    for f in folder.glob(f"*{SUFFIX}"):
        try:
            st = f.stat()
        except OSError:
            continue
        entries.append((st.st_mtime_ns, st.st_size, f))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, f in sorted(entries, key=lambda e: e[0]):
        if total <= max_bytes:
            break
        if f == keep and total - size <= max_bytes:
            continue
        f.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed


def delete_session(session_id: str, folder: Path | None = None) -> int:
    """Remove every saved state of a session; how many files went."""
    removed = 0
    for f in (folder or state_dir()).glob(f"{session_id}-*{SUFFIX}"):
        f.unlink(missing_ok=True)
        removed += 1
    return removed


# -- used by the orchestrator ---------------------------------------------------------------


class SessionStates:
    """Loads a session's state before a local turn and saves it (in a background thread)
    after. ``provider`` is a :class:`providers.llama_cpp.LlamaCppProvider`."""

    def __init__(self, max_bytes: int, folder: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.folder = folder
        self._saves = Background("fireside-state", raise_errors=True)
        self.last_save: dict[str, float] = {}  # seconds, bytes of the latest save (bench)

    def _folder(self) -> Path:
        return self.folder or state_dir()

    def restore(self, session_id: str, provider: Any, tokens: list[int]) -> str | None:
        """Load the session's saved state if it helps the prompt ``tokens``; returns a
        one-line notice when a saved state had to be ignored (it is deleted)."""
        self.wait()  # a save of this session may still be running
        try:
            path = file_for(self._folder(), session_id, provider.identity, provider.context_size)
        except OSError:
            return None
        if not path.exists():
            return None
        def wanted(saved: list[int]) -> bool:
            held = len(saved)
            if held > len(tokens) or tokens[:held] != saved:
                return False  # the history changed (trimmed, edited): not a prefix
            return provider.cached_prefix(tokens) < held  # else the live cache holds as much

        try:
            found = read_state(path, provider.identity, provider.context_size, wanted)
        except StateFileError as exc:
            path.unlink(missing_ok=True)
            return f"ignored this chat's saved model state: {exc}; it is rebuilt after this turn"
        if found is None:
            return None
        saved, data = found
        try:
            provider.restore_state(saved, data)
        except FiresideError as exc:
            path.unlink(missing_ok=True)
            return f"ignored this chat's saved model state: {exc}; it is rebuilt after this turn"
        os.utime(path)  # recently used
        return None

    def save_later(
        self, session_id: str, provider: Any, next_prompt: Callable[[], list[int]]
    ) -> None:
        """Save the state in the background; ``next_prompt()`` gives the tokens the next
        turn will start with (the state is cut to what it shares with them)."""
        generation = provider.generations
        self._saves.submit(self._save, session_id, provider, next_prompt, generation)

    def _save(
        self, session_id: str, provider: Any, next_prompt: Callable[[], list[int]],
        generation: int,
    ) -> None:
        import time

        try:
            start = time.perf_counter()
            shot = provider.snapshot_state(next_prompt(), generation)
            if shot is None:
                return
            tokens, data = shot
            folder = self._folder()
            path = file_for(folder, session_id, provider.identity, provider.context_size)
            size = write_state(path, provider.identity, provider.context_size, tokens, data)
            self.last_save = {
                "seconds": time.perf_counter() - start, "bytes": size, "tokens": len(tokens)
            }
            evict(folder, self.max_bytes, keep=path)
        except (OSError, FiresideError) as exc:
            log.warning("could not save the model state of session %s: %s", session_id, exc)

    def wait(self) -> None:
        """Wait for the saves under way."""
        self._saves.wait()

    def close(self) -> None:
        self._saves.close()


def local_model(provider: Any) -> Any | None:
    """The local llama.cpp model answering through ``provider`` (a router's active one), or
    None for hosted and scripted providers."""
    from providers.llama_cpp import LlamaCppProvider

    active = provider.active
    return active if isinstance(active, LlamaCppProvider) and active.loaded else None
