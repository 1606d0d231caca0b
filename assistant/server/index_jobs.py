"""Indexing jobs started through the API (``POST /api/v1/index``): each refreshes a project
through the indexer's :class:`~indexer.service.IndexService` in a thread and keeps its progress
for polling or streaming."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.errors import FiresideError, IndexerError

if TYPE_CHECKING:
    from assistant.config import Settings
    from indexer.service import IndexService

State = Literal["running", "done", "failed", "cancelled"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class IndexJob:
    id: str
    path: str
    state: State = "running"
    progress: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    version: int = 0  # bumped on every change (streams wait for it to move)
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.id, "path": self.path, "state": self.state,
            "progress": self.progress, "summary": self.summary, "error": self.error,
            "started_at": self.started_at, "finished_at": self.finished_at,
        }


def open_project(path: Path | None, settings: Settings) -> Any:
    """``indexer.project.open_project``; IndexerError when the indexer is not installed."""
    try:
        from indexer.project import open_project as _open
    except ImportError as exc:
        raise IndexerError(f"the codebase indexer is not available ({exc})") from None
    return _open(path, settings)


def open_service(path: Path | None, settings: Settings, embed: bool) -> IndexService:
    """An :class:`~indexer.service.IndexService` with the project at ``path`` open (raises
    for a bad path); IndexerError when the indexer is not installed."""
    try:
        from indexer.service import IndexService
    except ImportError as exc:
        raise IndexerError(f"the codebase indexer is not available ({exc})") from None
    service = IndexService(settings, path, embed=embed)
    service.open()
    return service


class IndexJobs:
    """Jobs by id; one running job per project root (asking again returns it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._jobs: dict[str, IndexJob] = {}
        self.changed = threading.Condition(self._lock)

    def get(self, job_id: str) -> IndexJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, path: Path | None, embed: bool = True) -> IndexJob:
        service = open_service(path, self.settings, embed)  # raises for a bad path
        root = str(getattr(service.project, "root", path or Path.cwd()))
        with self._lock:
            for job in self._jobs.values():
                if job.path == root and job.state == "running":
                    _close(service)
                    return job
            job = IndexJob(uuid.uuid4().hex[:12], root, cancel=service.cancel)
            self._jobs[job.id] = job
        threading.Thread(
            target=self._run, args=(job, service), name="fireside-api-index", daemon=True
        ).start()
        return job

    def _update(self, job: IndexJob, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)
            job.version += 1
            self.changed.notify_all()

    def _run(self, job: IndexJob, service: IndexService) -> None:
        def progress(p: Any) -> None:
            self._update(job, progress=asdict(p) if hasattr(p, "__dataclass_fields__") else p)

        service.on_progress = progress
        try:
            summary = service.refresh()
        except FiresideError as exc:
            self._update(job, state="failed", error=str(exc), finished_at=_now())
        except Exception as exc:  # report, never kill the server
            self._update(job, state="failed", error=f"indexing failed: {exc}",
                         finished_at=_now())
        else:
            state: State = "cancelled" if job.cancel.is_set() else "done"
            self._update(job, state=state, finished_at=_now(),
                         summary=asdict(summary) if summary is not None else None)
        finally:
            _close(service)

    def wait_change(self, job: IndexJob, seen: int, timeout: float) -> int:
        """Block (in a thread) until ``job`` changes past version ``seen`` or time runs out."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while job.version == seen and job.state == "running":
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            return job.version

    def health(self) -> dict[str, Any] | None:
        """The newest job's state (no paths: health needs no token)."""
        with self._lock:
            if not self._jobs:
                return None
            job = list(self._jobs.values())[-1]
            return {"job_state": job.state, "progress": job.progress,
                    "summary": _no_root(job.summary)}

    def cancel_all(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()


def _no_root(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {k: v for k, v in summary.items() if k != "root"}


def _close(service: IndexService) -> None:
    with contextlib.suppress(Exception):
        service.close()
