"""The packaged catalog of recommended GGUFs (``data/models.toml``).

Exports :class:`Suggested`, :func:`suggested_models`, :func:`find_suggested` and
:func:`first_step` (the one model the first-run notice names).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Suggested:
    name: str
    title: str
    repo: str
    file: str
    size_gb: float
    ram_gb: float
    licence: str
    native_tools: bool
    sha256: str = ""
    recommended: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=1)
def suggested_models() -> tuple[Suggested, ...]:
    from data import read_text

    data = tomllib.loads(read_text("models.toml"))
    return tuple(Suggested(**entry) for entry in data.get("model", []))


def find_suggested(name: str) -> Suggested | None:
    wanted = name.strip().lower()
    return next((m for m in suggested_models() if m.name == wanted), None)


def first_step() -> Suggested:
    """The catalog's recommended model (the first one when none is marked)."""
    models = suggested_models()
    return next((m for m in models if m.recommended), models[0])
