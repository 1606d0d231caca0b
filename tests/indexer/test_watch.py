"""The watcher with real watchdog events from real file writes (waits with deadlines)."""

from __future__ import annotations

import ctypes
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.project import ProjectIndex
from indexer.types import IndexSummary
from tests.indexer.conftest import write

pytestmark = pytest.mark.slow
Opener = Callable[..., ProjectIndex]
DEADLINE_S = 15.0


class Recorder:
    """Collects update summaries and the paths argument of every update the watcher runs."""

    def __init__(self, project: ProjectIndex) -> None:
        self.summaries: list[IndexSummary] = []
        self.calls: list[list[str] | None] = []
        self.notices: list[str] = []
        self.event = threading.Event()
        real = project.update

        def recording(*args: object, **kwargs: object) -> IndexSummary:
            self.calls.append(kwargs.get("paths"))  # type: ignore[arg-type]
            return real(*args, **kwargs)  # type: ignore[arg-type]

        project.update = recording  # type: ignore[method-assign]

    def on_update(self, summary: IndexSummary) -> None:
        self.summaries.append(summary)
        self.event.set()

    def wait(self, predicate: Callable[[], bool]) -> None:
        import time

        deadline = time.monotonic() + DEADLINE_S
        while not predicate():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; updates so far: {self.calls}"
            self.event.wait(min(remaining, 0.2))
            self.event.clear()


def start(project: ProjectIndex, recorder: Recorder, **kwargs: object):  # noqa: ANN201
    return project.watch(
        on_update=recorder.on_update, on_notice=recorder.notices.append, embed=False, **kwargs
    )


def hits(project: ProjectIndex, query: str) -> list[str]:
    return [h.path for h in project.search(query, mode="lexical")]


def test_edit_create_delete_are_picked_up(tree: Path, open_index: Opener) -> None:
    write(tree, "a.py", "def alpha():\n    return 1\n")
    write(tree, "b.py", "def beta():\n    return 2\n")
    project = open_index(tree)
    project.update(embed=False)
    recorder = Recorder(project)
    watcher = start(project, recorder)
    try:
        write(tree, "a.py", "def gamma_ray():\n    return 3\n")
        recorder.wait(lambda: hits(project, "gamma_ray") == ["a.py"])
        write(tree, "pkg/new_module.py", "def zeta_function():\n    pass\n")
        recorder.wait(lambda: hits(project, "zeta_function") == ["pkg/new_module.py"])
        (tree / "b.py").unlink()
        recorder.wait(lambda: hits(project, "beta") == [])
        write(tree, ".env", "TOKEN=watchedsecret\n")  # a secret created while watching
        write(tree, "c.py", "marker_after_secret = 1\n")
        recorder.wait(lambda: hits(project, "marker_after_secret") == ["c.py"])
        assert hits(project, "watchedsecret") == []
        assert all(call is not None for call in recorder.calls)  # incremental, no full scans
    finally:
        watcher.stop()
    assert not watcher.running


def test_atomic_save_is_one_update(tree: Path, open_index: Opener) -> None:
    target = write(tree, "doc.py", "def before():\n    pass\n")
    project = open_index(tree)
    project.update(embed=False)
    recorder = Recorder(project)
    watcher = start(project, recorder, )
    try:
        temp = tree / ".doc.py.tmp1234"
        temp.write_text("def after_save():\n    pass\n")
        os.replace(temp, target)  # what editors do
        recorder.wait(lambda: hits(project, "after_save") == ["doc.py"])
        assert len(recorder.summaries) == 1
        summary = recorder.summaries[0]
        assert (summary.changed, summary.added, summary.files) == (1, 0, 1)
    finally:
        watcher.stop()


def test_event_storm_becomes_one_reconcile_scan(tree: Path, open_index: Opener) -> None:
    write(tree, "seed.py", "x = 1\n")
    project = open_index(tree)
    project.update(embed=False)
    recorder = Recorder(project)
    watcher = start(project, recorder)
    try:
        for i in range(600):  # like a git checkout touching many files at once
            write(tree, f"pkg{i % 10}/mod_{i}.py", f"storm_value_{i} = {i}\n")
        recorder.wait(lambda: project.status().files == 601)
        assert None in recorder.calls  # a full reconcile handled the storm
        assert len(recorder.calls) <= 4  # coalesced, not one update per file
        assert hits(project, "storm_value_599")[0] == "pkg9/mod_599.py"
    finally:
        watcher.stop()


def test_gitignore_change_triggers_reconcile(tree: Path, open_index: Opener) -> None:
    write(tree, "keep.py", "kept_symbol = 1\n")
    write(tree, "generated/out.py", "generated_symbol = 1\n")
    project = open_index(tree)
    project.update(embed=False)
    recorder = Recorder(project)
    watcher = start(project, recorder)
    try:
        write(tree, ".gitignore", "generated/\n")
        recorder.wait(lambda: "generated/out.py" not in hits(project, "generated_symbol"))
        assert None in recorder.calls
    finally:
        watcher.stop()


def test_inotify_limit_falls_back_to_polling(
    tree: Path, open_index: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchdog.observers.inotify_c as inotify_c

    def no_watches_left(_fd: int, _path: bytes, _mask: int) -> int:
        ctypes.set_errno(errno.ENOSPC)
        return -1

    monkeypatch.setattr(inotify_c, "inotify_add_watch", no_watches_left)
    write(tree, "a.py", "def alpha():\n    return 1\n")
    project = open_index(tree)
    project.update(embed=False)
    recorder = Recorder(project)
    watcher = start(project, recorder)
    try:
        assert watcher.polling
        assert any("polling" in n and "limit" in n for n in recorder.notices)
        write(tree, "a.py", "def polled_change():\n    return 2\n")
        recorder.wait(lambda: hits(project, "polled_change") == ["a.py"])
    finally:
        watcher.stop()
