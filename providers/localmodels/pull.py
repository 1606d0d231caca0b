"""Download a model file safely: resumable, verified, atomic, with progress.

The bytes go to ``NAME.part`` in Fireside's models folder. An interrupted pull (Ctrl+C, a
dropped connection, the machine switched off) continues from the ``.part`` file's length with
an HTTP ``Range`` request. Dropped connections and 5xx answers are retried with backoff; 404
and 401/403 end the pull with one line. The sha256 (the hub's LFS checksum, or ``--sha256``)
is computed while the bytes arrive; a mismatch moves the file aside to ``NAME.sha256-mismatch``
and says so: nothing downloaded is ever deleted silently. Only a verified file is renamed
into place, atomically.

Exports :class:`Progress`, :func:`download`, :func:`pull`, :func:`make_client` and
:func:`describe_status`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import ChecksumMismatchError, ModelPullError
from providers.localmodels.hub import PullFile, PullPlan

CHUNK = 1 << 20
MAX_ATTEMPTS = 8  # consecutive failures without progress before giving up
DISK_MARGIN = 64 << 20  # keep this much free beyond the download
MISMATCH_SUFFIX = ".sha256-mismatch"


@dataclass
class Progress:
    """One progress event (also printed as JSON by ``--json``)."""

    event: str  # "start", "progress", "retry", "verified", "done"
    file: str
    bytes: int = 0
    total: int | None = None
    speed: float = 0.0  # bytes/s over the last second or so
    eta: float | None = None  # seconds
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {"event": self.event, "file": self.file, "bytes": self.bytes,
                "total": self.total, "speed": round(self.speed), "eta": self.eta}
        if self.message:
            data["message"] = self.message
        data.update(self.extra)
        return data


def describe_status(status: int, url: str) -> str:
    where = urlsplit(url)
    short = f"{where.netloc}{where.path}"
    if status == 404:
        return f"not found (404): {short}"
    if status in (401, 403):
        return (f"access refused ({status}) by {where.netloc}: the model may be gated or "
                "private; accept its licence on the hub and set a token with "
                "`fireside keys set huggingface`")
    if status == 416:
        return f"the server refused the resume range (416): {short}"
    return f"HTTP {status} from {short}"


def make_client(plan: PullPlan | None = None, *, timeout: float = 30.0) -> Any:
    """An httpx client: proxies from the environment, redirects followed; the hub token
    (from the keyring or FIRESIDE_HUGGINGFACE_API_KEY) only on requests to the hub's host
    (httpx drops it on redirects to another host, e.g. the CDN)."""
    import httpx

    from providers.localmodels.hub import hf_endpoint

    host = plan.token_host if plan else urlsplit(hf_endpoint()).netloc
    token = _hub_token()

    def add_token(request: httpx.Request) -> None:
        if token and request.url.host and request.url.netloc.decode() == host:
            request.headers.setdefault("Authorization", f"Bearer {token}")

    return httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout, connect=15.0),
        headers={"User-Agent": "fireside-models-pull"},
        event_hooks={"request": [add_token]},
        trust_env=True,
    )


def _hub_token() -> str | None:
    from assistant.secrets import get_key

    try:
        return get_key("huggingface")
    except Exception:  # no keyring: pulls of public models need none
        return None


def check_disk(folder: Path, needed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed + DISK_MARGIN > free:
        raise ModelPullError(
            f"not enough disk space in {folder}: {_gb(needed)} needed, {_gb(free)} free"
        )


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


class _Meter:
    """Speed and ETA over a sliding window; calls back at most every ``every`` seconds."""

    def __init__(self, name: str, report: Callable[[Progress], None], every: float) -> None:
        self.name, self.report, self.every = name, report, every
        self.samples: list[tuple[float, int]] = []
        self.last = 0.0

    def update(self, done: int, total: int | None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        self.samples = [s for s in self.samples if now - s[0] < 3.0] + [(now, done)]
        first_t, first_b = self.samples[0]
        speed = (done - first_b) / (now - first_t) if now > first_t else 0.0
        eta = (total - done) / speed if total and speed > 0 else None
        self.report(Progress("progress", self.name, done, total, speed, eta))


def download(
    client: Any,
    item: PullFile,
    folder: Path,
    *,
    report: Callable[[Progress], None] = lambda _p: None,
    sleep: Callable[[float], None] = time.sleep,
    every: float = 0.25,
) -> tuple[Path, str]:
    """Fetch ``item`` into ``folder``; returns (final path, sha256). Resumes a ``.part``."""
    final = folder / item.file_name
    part = folder / (item.file_name + ".part")
    if item.size is not None:
        have = part.stat().st_size if part.exists() else 0
        check_disk(folder, max(0, item.size - have))
    folder.mkdir(parents=True, exist_ok=True)
    with part.open("ab") as out:
        try:
            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ModelPullError(f"another pull of {item.file_name} is running") from None
        digest = _Digest(part)
        meter = _Meter(item.file_name, report, every)
        report(Progress("start", item.file_name, out.tell(), item.size))
        try:
            _fetch(client, item, out, digest, meter, report, sleep)
        except ModelPullError:
            if out.tell() == 0:
                part.unlink(missing_ok=True)  # nothing arrived: leave no empty .part
            raise
        finally:
            digest.close()  # also on Ctrl+C: the hashing thread ends with the pull
        out.flush()
        os.fsync(out.fileno())
    sha = digest.hexdigest()
    if item.sha256 and sha != item.sha256.lower():
        aside = folder / (item.file_name + MISMATCH_SUFFIX)
        os.replace(part, aside)
        raise ChecksumMismatchError(
            f"checksum mismatch for {item.file_name}: expected sha256 {item.sha256}, got "
            f"{sha}; the download was kept at {aside} (not used; delete it or pull again)"
        )
    with part.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        aside = folder / (item.file_name + ".not-gguf")
        os.replace(part, aside)
        raise ModelPullError(f"{item.url} did not send a GGUF file; what arrived was kept at "
                             f"{aside}")
    report(Progress("verified" if item.sha256 else "unverified", item.file_name,
                    part.stat().st_size, item.size, extra={"sha256": sha}))
    os.replace(part, final)  # atomic: the final name only ever holds a complete file
    _fsync_dir(folder)
    return final, sha


class _Digest:
    """sha256 of the ``.part`` file: its existing bytes first, then each new chunk.

    Chunks are hashed on a thread of their own (hashlib releases the GIL), so hashing runs
    alongside the download instead of after each chunk: the pull keeps up with ``curl``."""

    def __init__(self, part: Path) -> None:
        self.h = hashlib.sha256()
        with part.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                self.h.update(chunk)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=256)
        self._thread = threading.Thread(target=self._run, name="pull-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self.h.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def reset(self) -> None:
        self.close()
        self.h = hashlib.sha256()
        self._thread = threading.Thread(target=self._run, name="pull-sha256", daemon=True)
        self._thread.start()

    def hexdigest(self) -> str:
        self.close()
        return self.h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fetch(client: Any, item: PullFile, out: Any, digest: Any, meter: _Meter,
           report: Callable[[Progress], None], sleep: Callable[[float], None]) -> None:
    """Stream the missing bytes into ``out`` (opened for append), retrying as needed."""
    import httpx

    failures = 0
    while True:
        start = out.tell()
        try:
            if _stream_once(client, item, out, digest, meter):
                return
            problem = "the connection closed early"
        except httpx.TransportError as exc:
            problem = f"connection problem ({type(exc).__name__})"
        except _Retryable as exc:
            problem = str(exc)
        failures = 0 if out.tell() > start else failures + 1
        if failures >= MAX_ATTEMPTS:
            raise ModelPullError(f"giving up on {item.file_name} after {failures} failed "
                                 f"attempts ({problem}); run the same command to resume")
        delay = min(30.0, 0.5 * 2 ** max(0, failures - 1))
        report(Progress("retry", item.file_name, out.tell(), item.size,
                        message=f"{problem}; retrying in {delay:.1f}s"))
        sleep(delay)


class _Retryable(Exception):
    pass


def _stream_once(client: Any, item: PullFile, out: Any, digest: Any, meter: _Meter) -> bool:
    """One request; True when the file is complete."""
    offset = out.tell()
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    headers["Accept-Encoding"] = "identity"
    with client.stream("GET", item.url, headers=headers) as response:
        status = response.status_code
        if status == 416 and offset and item.size == offset:
            return True
        if status >= 500 or status == 429:
            raise _Retryable(f"HTTP {status}")
        if status not in (200, 206):
            raise ModelPullError(describe_status(status, item.url))
        total = item.size
        if status == 206:
            content_range = response.headers.get("content-range", "")
            if not content_range.startswith(f"bytes {offset}-"):
                raise _Retryable("the server sent the wrong range")
            total = total or _range_total(content_range)
        else:
            if offset:  # the server ignored Range: start over, in the same file
                out.seek(0)
                out.truncate()
                digest.reset()
                offset = 0
            length = response.headers.get("content-length")
            total = total or (int(length) if length and length.isdigit() else None)
            if total:
                check_disk(Path(out.name).parent, total)
        for chunk in response.iter_raw():  # as received: a drop loses no buffered bytes
            out.write(chunk)
            digest.update(chunk)
            meter.update(out.tell(), total)
        meter.update(out.tell(), total, force=True)
        return total is None or out.tell() >= total


def _range_total(content_range: str) -> int | None:
    tail = content_range.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def pull(
    plan: PullPlan,
    folder: Path,
    *,
    client: Any,
    report: Callable[[Progress], None] = lambda _p: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Path]:
    """Download every file of ``plan`` and record it as pulled; returns the final paths."""
    from datetime import UTC, datetime

    from providers.localmodels.pulled import pulled_files, record_pull

    done = pulled_files()
    paths = []
    for item in plan.files:
        final = folder / item.file_name
        known = done.get(item.file_name, {})
        if final.exists() and item.sha256 and known.get("sha256") == item.sha256:
            report(Progress("done", item.file_name, final.stat().st_size, item.size,
                            message="already pulled", extra={"path": str(final)}))
            paths.append(final)
            continue
        path, sha = download(client, item, folder, report=report, sleep=sleep)
        record_pull(item.file_name, {
            "source": plan.source, "url": item.url, "sha256": sha,
            "verified": bool(item.sha256), "size": path.stat().st_size,
            "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        paths.append(path)
        report(Progress("done", item.file_name, path.stat().st_size, item.size,
                        extra={"path": str(path)}))
    return paths
