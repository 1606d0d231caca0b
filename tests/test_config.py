"""Settings: defaults < config.toml < FIRESIDE_* env < overrides; broken input is a ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings, read_config_file
from assistant.errors import ConfigError
from assistant.paths import get_paths


def _write_config(text: str) -> Path:
    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_env() -> None:
    s = load_settings()
    assert isinstance(s, Settings)
    assert s.model is None
    assert s.context_size == 4096
    assert s.max_tokens == 1024
    assert s.temperature == 0.3
    assert s.top_p == 0.9
    assert s.repeat_penalty == 1.1
    assert s.seed is None
    assert s.threads is None
    assert s.system_prompt is None
    assert s.theme == "fireside"


def test_config_file_values_are_used() -> None:
    _write_config(
        'model = "/models/x.gguf"\n'
        "context_size = 2048\n"
        "temperature = 0.7\n"
        "seed = 42\n"
        'system_prompt = "Be brief."\n'
        'unknown_key = "ignored"\n'
        "[some_table]\nanswer = 1\n"
    )
    s = load_settings()
    assert s.model == "/models/x.gguf"
    assert s.context_size == 2048
    assert s.temperature == 0.7
    assert s.seed == 42
    assert s.system_prompt == "Be brief."
    assert s.max_tokens == 1024  # not in the file: default


def test_environment_beats_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config("context_size = 2048\ntemperature = 0.7\nmax_tokens = 50\n")
    monkeypatch.setenv("FIRESIDE_CONTEXT_SIZE", "8192")
    monkeypatch.setenv("FIRESIDE_TEMPERATURE", "1.5")
    s = load_settings()
    assert s.context_size == 8192
    assert s.temperature == 1.5
    assert s.max_tokens == 50  # only in the file


def test_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config("max_tokens = 50\n")
    monkeypatch.setenv("FIRESIDE_MAX_TOKENS", "60")
    monkeypatch.setenv("FIRESIDE_MODEL", "/env/model.gguf")
    s = load_settings(max_tokens=70, model="/flag/model.gguf")
    assert s.max_tokens == 70
    assert s.model == "/flag/model.gguf"


def test_none_overrides_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config("temperature = 0.9\n")
    monkeypatch.setenv("FIRESIDE_MAX_TOKENS", "60")
    s = load_settings(temperature=None, max_tokens=None, model=None, seed=None)
    assert s.temperature == 0.9
    assert s.max_tokens == 60
    assert s.model is None


def test_broken_toml_is_a_one_line_config_error_naming_the_file() -> None:
    path = _write_config("context_size = \n[unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert str(path) in message
    assert "TOML" in message
    assert "\n" not in message


def test_non_utf8_config_is_a_config_error() -> None:
    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'theme = "\xff\xfe"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(path) in str(info.value)


def test_unreadable_config_path_is_a_config_error() -> None:
    path = get_paths().config_file
    path.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_config_file(tmp_path / "absent.toml") == {}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('temperature = "hot"', "temperature"),
        ("context_size = 1", "context_size"),
        ("top_p = 0", "top_p"),
        ("max_tokens = 0", "max_tokens"),
        ("threads = 0", "threads"),
    ],
)
def test_invalid_file_value_is_a_config_error(line: str, field: str) -> None:
    _write_config(line + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert field in message
    assert "\n" not in message


def test_invalid_env_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_TEMPERATURE", "hot")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "temperature" in str(info.value)


def test_invalid_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(context_size=1)
    assert "context_size" in str(info.value)
    assert "\n" not in str(info.value)


def test_fireside_home_holds_config_data_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "elsewhere"
    monkeypatch.setenv("FIRESIDE_HOME", str(home))
    paths = get_paths()
    assert paths.config_dir == home / "config"
    assert paths.data_dir == home / "data"
    assert paths.cache_dir == home / "cache"
    assert paths.config_file == home / "config" / "config.toml"
    assert paths.database == home / "data" / "fireside.db"
    assert not home.exists()  # nothing is created until asked
    paths.ensure()
    assert all(p.is_dir() for p in (paths.config_dir, paths.data_dir, paths.cache_dir))


def test_settings_read_the_config_under_fireside_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "other-home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('theme = "night"\n')
    monkeypatch.setenv("FIRESIDE_HOME", str(home))
    assert load_settings().theme == "night"
    monkeypatch.setenv("FIRESIDE_HOME", str(tmp_path / "empty-home"))
    assert load_settings().theme == "fireside"


def test_fireside_home_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("FIRESIDE_HOME", "~/fs")
    assert get_paths().data_dir == tmp_path / "fs" / "data"


def test_empty_env_values_mean_unset(monkeypatch) -> None:
    monkeypatch.setenv("FIRESIDE_SEED", "")
    monkeypatch.setenv("FIRESIDE_THREADS", "")
    settings = load_settings()
    assert settings.seed is None and settings.threads is None
