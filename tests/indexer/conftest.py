"""Helpers for indexer tests: small real trees in tmp folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from indexer.project import ProjectIndex, open_project


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


@pytest.fixture
def open_index(settings: Settings) -> Iterator[Callable[[Path], ProjectIndex]]:
    opened: list[ProjectIndex] = []

    def opener(root: Path, s: Settings | None = None) -> ProjectIndex:
        project = open_project(root, s or settings)
        opened.append(project)
        return project

    yield opener
    for project in opened:
        if not project.closed:
            project.close()
