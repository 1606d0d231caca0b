"""Which folder is "the project": stdlib only, so a front end can ask at start-up without
importing the indexer."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import IndexerError


def find_root(path: Path | None = None) -> Path:
    """The git root above ``path`` (default: the current folder), else the folder itself."""
    start = Path(path or Path.cwd()).expanduser()
    if not start.exists():
        raise IndexerError(f"{start} does not exist")
    start = start.resolve()
    if not start.is_dir():
        raise IndexerError(f"{start} is a file; give a folder to index")
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start
