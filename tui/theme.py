"""Themes packaged in ``data/themes/<name>.toml``, turned into Textual themes."""

from __future__ import annotations

import tomllib

from textual.theme import Theme

from data import read_text

DEFAULT_THEME = "fireside"


def load_theme(name: str) -> Theme | None:
    """The packaged theme ``name``, or None when no such file exists (or it is not valid)."""
    try:
        raw = read_text(f"themes/{name}.toml")
    except (FileNotFoundError, OSError):
        return None
    try:
        fields = tomllib.loads(raw)
        fields.setdefault("name", name)
        return Theme(**fields)
    except (tomllib.TOMLDecodeError, TypeError):
        return None
