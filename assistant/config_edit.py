"""Change one setting in ``config.toml`` and keep everything else as the user wrote it.

tomlkit edits the document in place: comments, blank lines, key order and formatting of the
rest of the file stay as they were. The new text is written to a temporary file and renamed
over the old one, so a crash never leaves half a config.

Exports :func:`set_top_level`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError


def set_top_level(path: Path, key: str, value: Any) -> None:
    """Set ``key = value`` at the top of the file (before any ``[table]``); ``None`` removes
    it. Creates the file when missing; raises ConfigError for a file that is not TOML."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if value is None:
        doc.pop(key, None)
        new_text = tomlkit.dumps(doc)
    elif key in doc:
        doc[key] = value
        new_text = tomlkit.dumps(doc)
    else:
        new_text = _insert_line(text, key, value)
    _write(path, new_text)


def _insert_line(text: str, key: str, value: Any) -> str:
    """``text`` with ``key = value`` after the last top-level setting, so comments above the
    first table stay with that table."""
    import tomllib

    import tomlkit

    line = tomlkit.dumps({key: value})
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    first_table = next((i for i, raw in enumerate(lines) if raw.lstrip().startswith("[")),
                       len(lines))
    at = first_table
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
        at -= 1
    if at == 0 and first_table == len(lines):
        at = len(lines)  # only comments: add at the end
    candidate = "".join(lines[:at] + [line] + lines[at:])
    try:
        before, after = tomllib.loads(text), tomllib.loads(candidate)
    except tomllib.TOMLDecodeError:
        after, before = {}, None
    if before is not None and after == {**before, key: value}:
        return candidate
    doc = tomlkit.parse(text)  # an unusual layout: let tomlkit place it
    doc[key] = value
    return tomlkit.dumps(doc)


def _write(path: Path, new_text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(new_text, encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror}") from None
