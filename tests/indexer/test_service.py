"""IndexService, the one index lifecycle under the TUI, the CLI, the API and chat context:
real files in tmp folders, the real lexical index (no embedding model unless said)."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IndexerError
from indexer.project import index_dir
from indexer.service import IndexService, ServiceStatus
from indexer.types import IndexProgress, IndexSummary
from tests.indexer.conftest import write

DEADLINE_S = 15.0
Make = Callable[..., IndexService]


def small_repo(root: Path) -> None:
    write(root, "src/auth.py", "def check_password(user, secret):\n    return secret == 'x'\n")
    write(root, "src/util.py", "def slugify(text):\n    return text.lower().replace(' ', '-')\n")
    write(root, "README.md", "# Demo\n\nA small project about passwords.\n")


class Heard:
    """Everything a service reported, thread-safe (callbacks run on its threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.progress: list[IndexProgress] = []
        self.statuses: list[ServiceStatus] = []
        self.errors: list[tuple[str, bool]] = []
        self.updates: list[IndexSummary] = []

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_progress": self._add(self.progress), "on_status": self._add(self.statuses),
            "on_error": lambda message, fatal: self._add(self.errors)((message, fatal)),
            "on_update": self._add(self.updates),
        }

    def _add(self, into: list) -> Callable[[object], None]:
        def add(item: object) -> None:
            with self.lock:
                into.append(item)

        return add

    def kinds(self) -> list[str]:
        with self.lock:
            return [status.kind for status in self.statuses]


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def services() -> Iterator[Make]:
    made: list[IndexService] = []

    def make(settings: Settings, root: Path | None, **kwargs: object) -> IndexService:
        service = IndexService(settings, root, **kwargs)  # type: ignore[arg-type]
        made.append(service)
        return service

    yield make
    for service in made:
        service.stop(DEADLINE_S)


# -- step by step (fireside index, the API's jobs, chat context) ----------------------------


def test_open_refresh_status_close(tree: Path, settings: Settings, services: Make) -> None:
    small_repo(tree)
    heard = Heard()
    service = services(settings, tree, embed=False, **heard.callbacks())
    project = service.open()
    assert project is not None and not project.exists and service.project is project
    summary = service.refresh()
    assert (summary.files, summary.added, summary.embedded) == (3, 3, 0)
    assert summary.pending == summary.chunks > 0
    phases = [p.phase for p in heard.progress]
    assert phases[0] == "scan" and phases[-1] == "lexical"
    assert heard.progress[-1].message == "lexical index ready"
    assert service.status().files == 3
    assert [h.path for h in project.search("check_password", mode="lexical")][:1] == [
        "src/auth.py"
    ]
    again = service.refresh()
    assert again.changed == 0
    assert heard.statuses == [] and heard.errors == []  # steps report through their results
    service.close()
    assert service.project is None and project.closed


def test_refresh_can_be_cancelled_and_resumed(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    cancel = threading.Event()
    cancel.set()
    service = services(settings, tree, embed=False, cancel=cancel)
    service.open()
    assert service.refresh().added == 0  # cancelled before the first file
    cancel.clear()
    assert service.refresh().added == 3


def test_open_reports_a_bad_folder(tmp_path: Path, settings: Settings, services: Make) -> None:
    service = services(settings, tmp_path / "missing")
    with pytest.raises(IndexerError, match="does not exist"):
        service.open()
    with pytest.raises(IndexerError, match="not open"):
        service.refresh()


def test_take_notices_hands_each_notice_out_once(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    service = services(settings, tree, embed=False)
    project = service.open()
    assert service.take_notices() == []
    project.notice("something happened")
    assert service.take_notices() == ["something happened"]
    assert service.take_notices() == [] and project.notices == []


# -- in the background (the TUI) --------------------------------------------------------------


def test_background_pass_indexes_then_says_ready(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    heard = Heard()
    service = services(settings, tree, embed=False, **heard.callbacks())
    service.start()
    assert service.wait(DEADLINE_S) and not service.running
    # No index yet: searchable only once the lexical pass is done.
    assert heard.kinds() == ["opening", "searchable", "ready"]
    ready = heard.statuses[-1]
    assert ready.files == 3 and ready.pending > 0 and not ready.hybrid
    assert heard.errors == [] and service.error is None
    assert service.files == 3 and not service.hybrid and not service.watching
    assert service.project is not None and service.project.search("slugify", mode="lexical")

    project = service.project
    service.stop(DEADLINE_S)
    assert service.project is None and project.closed

    # A second start over the existing index: searchable at once, then again after the pass.
    heard2 = Heard()
    second = services(settings, tree, embed=False, **heard2.callbacks())
    second.start()
    assert second.wait(DEADLINE_S)
    assert heard2.kinds() == ["opening", "searchable", "searchable", "ready"]


def test_background_pass_outside_a_project_indexes_nothing(
    tree: Path, settings: Settings, services: Make,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small_repo(tree)
    monkeypatch.chdir(tree)
    heard = Heard()
    service = services(settings, None, embed=False, **heard.callbacks())
    service.start()
    assert service.wait(DEADLINE_S)
    assert heard.kinds() == ["opening", "not_a_project"]
    assert service.project is None and service.error is None and heard.errors == []
    assert not (index_dir(tree.resolve()) / "index.db").exists()

    (tree / ".git").mkdir()  # a git project: indexed
    heard2 = Heard()
    git = services(settings, None, embed=False, **heard2.callbacks())
    git.start()
    assert git.wait(DEADLINE_S)
    assert heard2.kinds()[-1] == "ready" and git.files == 3


def test_background_failure_is_reported_as_fatal(
    tmp_path: Path, settings: Settings, services: Make
) -> None:
    heard = Heard()
    service = services(settings, tmp_path / "missing", **heard.callbacks())
    service.start()
    assert service.wait(DEADLINE_S)
    assert len(heard.errors) == 1
    message, fatal = heard.errors[0]
    assert fatal and "does not exist" in message and service.error == message


def test_index_locked_elsewhere_is_searched_as_it_is(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    first = services(settings, tree, embed=False)
    first.open()
    first.refresh()
    first.close()
    # Another process's lock: flock locks belong to the open file, so a second handle in
    # this process conflicts like another process would.
    with open(index_dir(tree.resolve()) / "lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        heard = Heard()
        service = services(settings, tree, embed=False, **heard.callbacks())
        service.start()
        assert service.wait(DEADLINE_S)
        assert heard.kinds() == ["opening", "searchable", "searchable", "ready"]
        assert [(fatal, "another Fireside process" in m) for m, fatal in heard.errors] == [
            (False, True)
        ]
        assert service.error is None and service.files == 3
        assert service.project is not None and service.project.search(
            "check_password", mode="lexical"
        )
        service.stop(DEADLINE_S)


def test_embedder_that_cannot_load_leaves_lexical_search(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    broken = settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedding_model": "no/such-model"})}
    )
    heard = Heard()
    service = services(broken, tree, embed=True, **heard.callbacks())
    service.start()
    assert service.wait(DEADLINE_S * 4)
    kinds = heard.kinds()
    assert kinds[:4] == ["opening", "searchable", "ready", "loading_model"]
    assert "searchable" not in kinds[4:] and not service.hybrid  # never hybrid
    assert heard.errors and all(not fatal for _, fatal in heard.errors)
    assert any("embeddings skipped" in message for message, _ in heard.errors)
    assert service.error is None
    assert service.project is not None and service.project.search("slugify", mode="lexical")


def test_callbacks_that_raise_do_not_stop_indexing(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)

    def broken(*_args: object) -> None:
        raise RuntimeError("a broken display")

    service = services(
        settings, tree, embed=False, on_progress=broken, on_status=broken, on_error=broken
    )
    service.start()
    assert service.wait(DEADLINE_S)
    assert service.error is None and service.files == 3


@pytest.mark.slow
def test_watching_keeps_the_index_fresh_until_stopped(
    tree: Path, settings: Settings, services: Make
) -> None:
    small_repo(tree)
    heard = Heard()
    service = services(settings, tree, embed=False, watch=True, **heard.callbacks())
    service.start()
    wait_until(lambda: service.watching, "the watcher to start")
    assert service.wait(DEADLINE_S) and service.watching  # the pass ended, the watcher runs
    write(tree, "src/fresh.py", "def brand_new_helper():\n    return 42\n")
    wait_until(lambda: bool(heard.updates), "the watcher's update")
    assert service.files == 4
    assert service.project is not None
    assert [h.path for h in service.project.search("brand_new_helper", mode="lexical")] == [
        "src/fresh.py"
    ]
    project = service.project
    service.stop(DEADLINE_S)
    assert not service.watching and service.project is None and project.closed
    assert service.cancel.is_set()


def test_stop_before_start_and_twice_is_harmless(
    tree: Path, settings: Settings, services: Make
) -> None:
    service = services(settings, tree)
    service.stop(0)
    service.stop(0)
    assert service.project is None and not service.running
