"""Settings: defaults < ``config.toml`` < ``FIRESIDE_*`` environment variables < CLI flags.

``load_settings(**overrides)`` is the one entry point; CLI flags arrive as ``overrides``.
A config file that cannot be read or parsed raises :class:`~assistant.errors.ConfigError`
with one line naming the file and the problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError
from assistant.paths import get_paths


class Settings(BaseSettings):
    """Fireside's settings. Each field can be set in ``config.toml`` or as ``FIRESIDE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FIRESIDE_", extra="ignore")

    model: str | None = Field(
        default=None,
        description="Path to a GGUF file. Empty: the embedded SmolLM2-135M-Instruct model.",
    )
    context_size: int = Field(
        default=4096, ge=256, description="Context window in tokens (capped at the model's)."
    )
    max_tokens: int = Field(default=1024, ge=1, description="Most tokens in one answer.")
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    repeat_penalty: float = Field(
        default=1.1, ge=1.0, le=2.0, description="Penalty for repeating tokens (small models loop)."
    )
    seed: int | None = Field(default=None, description="Sampling seed; empty: random.")
    threads: int | None = Field(
        default=None, ge=1, description="CPU threads for llama.cpp; empty: all cores."
    )
    system_prompt: str | None = Field(
        default=None, description="System prompt; empty: the packaged default."
    )
    theme: str = Field(default="fireside", description="TUI theme name.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFile(settings_cls))


class _TomlFile(PydanticBaseSettingsSource):
    """Reads ``config.toml`` from the config folder; a broken file is a ConfigError."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.path = get_paths().config_file
        self._data = read_config_file(self.path)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML file, ``{}`` when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; ``overrides`` (CLI flags) win. ``None`` values are ignored."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where!r}: {first['msg']}") from None
