"""The record of what ``fireside models pull`` downloaded (so ``models rm`` removes only that).

A JSON file in Fireside's models folder maps each pulled file name to where it came from and
its sha256. Files a user put there by hand, and every other store, are never removed.

Exports :func:`pulled_files`, :func:`record_pull` and :func:`forget_pull`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RECORD = "pulled.json"


def _record_path() -> Path:
    from providers.localmodels.sources import fireside_models_dir

    return fireside_models_dir() / RECORD


def pulled_files() -> dict[str, dict[str, Any]]:
    """File name -> ``{"source", "sha256", "size", "pulled_at"}``; ``{}`` when none."""
    try:
        data = json.loads(_record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> None:
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def record_pull(file_name: str, entry: dict[str, Any]) -> None:
    data = pulled_files()
    data[file_name] = entry
    _write(data)


def forget_pull(file_name: str) -> None:
    data = pulled_files()
    if data.pop(file_name, None) is not None:
        _write(data)
