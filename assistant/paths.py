"""Where Fireside keeps its files.

``FIRESIDE_HOME`` overrides everything: config, data and cache all go under that one folder
(every test sets it). Otherwise the platform's standard locations (platformdirs) are used.
Nothing here creates a directory at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "fireside"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "fireside.db"

    @property
    def log_file(self) -> Path:
        return self.cache_dir / "fireside.log"

    def ensure(self) -> Paths:
        for folder in (self.config_dir, self.data_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def get_paths() -> Paths:
    """The folders in force now (reads ``FIRESIDE_HOME`` on every call)."""
    home = os.environ.get("FIRESIDE_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "cache")
    import platformdirs

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME)),
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
    )
