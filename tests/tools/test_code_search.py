"""code_search over a real project index (SQLite FTS5; no embeddings, so hybrid search answers
lexically without loading the embedding model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.tools.base import ToolContext
from assistant.tools.code_search import TOOL, has_index
from assistant.tools.registry import Registry
from indexer.project import open_project
from providers.base import ToolCall


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "kindling.py").write_text(
        "def light_campfire(tinder, kindling):\n"
        '    """Light the campfire from dry tinder."""\n'
        "    return tinder + kindling\n"
    )
    (root / "src" / "water.py").write_text(
        "def douse(fire):\n    return None  # put out with water\n"
    )
    (root / ".env").write_text("CAMPFIRE_TOKEN=secret\n")
    return root


@pytest.fixture
def indexed(project: Path, settings: Settings) -> Path:
    index = open_project(project, settings)
    try:
        index.update(embed=False)
    finally:
        index.close()
    return project


def run(root: Path, settings: Settings, **arguments: object):  # noqa: ANN201
    registry = Registry(settings)
    registry.register(TOOL)
    ctx = ToolContext(settings=settings, project_root=root)
    return registry, ctx, registry.run(ToolCall("c1", "code_search", arguments), ctx)


def test_not_offered_without_an_index(project: Path, settings: Settings) -> None:
    assert not has_index(project) and not has_index(None)
    registry, ctx, event = run(project, settings, query="campfire")
    assert registry.specs(ctx) == ()
    assert not event.ok and "not available" in event.content


def test_finds_code_with_path_lines_and_snippet(indexed: Path, settings: Settings) -> None:
    assert has_index(indexed)
    registry, ctx, event = run(indexed, settings, query="light campfire tinder", k=3)
    assert [s.name for s in registry.specs(ctx)] == ["code_search"]
    assert event.ok, event.content
    lines = event.content.splitlines()
    assert lines[0] == 'Code results for "light campfire tinder":'
    assert lines[1].startswith("1. src/kindling.py:1-")
    assert "def light_campfire" in event.content
    assert "CAMPFIRE_TOKEN" not in event.content  # secret files are never indexed


def test_path_glob_and_no_hits(indexed: Path, settings: Settings) -> None:
    _r, _c, only_water = run(indexed, settings, query="water", path_glob="src/water.py")
    assert only_water.ok and "src/water.py" in only_water.content
    _r, _c, none = run(indexed, settings, query="zebra quantum")
    assert none.ok and none.content == 'No code found for "zebra quantum".'


def test_invalid_arguments(indexed: Path, settings: Settings) -> None:
    _r, _c, event = run(indexed, settings, query="", k=500)
    assert not event.ok and event.content.startswith("invalid arguments for code_search")
