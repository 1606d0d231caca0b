"""Reading ``config.toml`` safely, and saying which keys Fireside does not know.

Only a regular file is read (a FIFO would block, a link to ``/dev/zero`` would never end),
opened non-blocking and checked on the open descriptor, and at most :data:`MAX_CONFIG_BYTES`.
An unknown key is not an error (a newer config on an older Fireside) but is reported once per
process, naming the nearest valid key (``contxt_size`` → ``context_size``).
"""

from __future__ import annotations

import difflib
import logging
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

log = logging.getLogger("assistant.config")

MAX_CONFIG_BYTES = 1 << 20
# Top-level tables that other modules read from the file (not Settings fields).
OTHER_TABLES: tuple[str, ...] = ("costs",)
_warned: set[tuple[str, str]] = set()


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML file, ``{}`` when it does not exist; ConfigError (one line) otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"config file {path} is not a regular file; make it one")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; "
                          "is it the right file?")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def unknown_keys(data: dict[str, Any], known: list[str]) -> list[str]:
    """One line per top-level key of ``data`` not in ``known``, with the nearest valid key."""
    lines = []
    for key in data:
        if key in known or key in OTHER_TABLES:
            continue
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        lines.append(f"unknown setting {key!r} in the config file (ignored){hint}")
    return lines


def warn_unknown_keys(path: Path, data: dict[str, Any], known: list[str]) -> list[str]:
    """Log :func:`unknown_keys` (each once per process); returns all of them."""
    lines = unknown_keys(data, known)
    for line in lines:
        if (str(path), line) not in _warned:
            _warned.add((str(path), line))
            log.warning("%s (%s)", line, path)
    return lines
