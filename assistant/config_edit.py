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
    else:
        doc[key] = value  # tomlkit puts a new top-level key before the first table
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror}") from None
