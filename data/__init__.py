"""Package data: the default system prompt and themes. No code beyond locating files."""

from __future__ import annotations

from importlib.resources import files


def read_text(name: str) -> str:
    """The text of a packaged data file, e.g. ``read_text("system_prompt.md")``."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
