"""API keys: keyring (in-memory backend), env vars first, the no-keyring path, and the CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from typer.testing import CliRunner

from assistant import secrets
from assistant.cli import app
from assistant.errors import KeyringUnavailableError, MissingKeyError, SecretsError
from tests.support.memory_keyring import MemoryKeyring

SECRET = "sk-test-0123456789abcdef"


def test_env_var_name() -> None:
    assert secrets.env_var("openai") == "FIRESIDE_OPENAI_API_KEY"
    assert secrets.env_var("open-router") == "FIRESIDE_OPEN_ROUTER_API_KEY"


def test_set_get_delete_roundtrip(memory_keyring: MemoryKeyring) -> None:
    secrets.set_key("OpenAI", f"  {SECRET}\n")
    assert secrets.get_key("openai") == SECRET
    assert memory_keyring.stored[("fireside", "openai")] == SECRET
    assert [(k.name, k.source) for k in secrets.list_keys()] == [("openai", "keyring")]
    secrets.delete_key("openai")
    assert secrets.get_key("openai") is None
    assert secrets.list_keys() == []
    with pytest.raises(SecretsError, match="no key named 'openai'"):
        secrets.delete_key("openai")


def test_env_var_wins_over_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set_key("openai", "from-keyring-value")
    monkeypatch.setenv("FIRESIDE_OPENAI_API_KEY", "from-env-value")
    assert secrets.get_key("openai") == "from-env-value"
    assert [(k.name, k.source) for k in secrets.list_keys()] == [("openai", "env")]


def test_missing_key_names_the_command(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(MissingKeyError) as info:
        secrets.require_key("anthropic")
    assert "fireside keys set anthropic" in str(info.value)
    assert "FIRESIDE_ANTHROPIC_API_KEY" in str(info.value)


def test_listing_includes_configured_names_as_missing(memory_keyring: MemoryKeyring) -> None:
    infos = secrets.list_keys(["gemini"])
    assert [(k.name, k.source, k.env_var) for k in infos] == [
        ("gemini", "missing", "FIRESIDE_GEMINI_API_KEY")
    ]


def test_bad_names_and_values_are_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretsError, match="invalid key name"):
        secrets.set_key("../etc", SECRET)
    with pytest.raises(SecretsError, match="empty"):
        secrets.set_key("openai", "   ")
    with pytest.raises(SecretsError, match="line break"):
        secrets.set_key("openai", "abc\ndef")
    assert memory_keyring.stored == {}


def test_no_keyring_backend_offers_the_env_var_and_writes_nothing(
    no_keyring: None, fireside_home: Path
) -> None:
    with pytest.raises(KeyringUnavailableError) as info:
        secrets.set_key("openai", SECRET)
    message = str(info.value)
    assert "FIRESIDE_OPENAI_API_KEY" in message and SECRET not in message
    assert secrets.get_key("openai") is None
    with pytest.raises(MissingKeyError, match="no OS keyring"):
        secrets.require_key("openai")
    # Nothing was written anywhere under FIRESIDE_HOME.
    if fireside_home.exists():
        for path in fireside_home.rglob("*"):
            assert not path.is_file() or SECRET.encode() not in path.read_bytes()


def test_no_keyring_env_var_still_works(no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_GROQ_API_KEY", SECRET)
    assert secrets.require_key("groq") == SECRET
    assert [(k.name, k.source) for k in secrets.list_keys()] == [("groq", "env")]


def test_backend_errors_never_quote_the_value(memory_keyring: MemoryKeyring) -> None:
    def broken(service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password}")

    memory_keyring.set_password = broken  # type: ignore[method-assign]
    with pytest.raises(KeyringUnavailableError) as info:
        secrets.set_key("openai", SECRET)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_scrub_removes_values() -> None:
    assert secrets.scrub(f"bad key {SECRET}!", SECRET) == "bad key ***!"
    assert secrets.scrub("nothing", None, "") == "nothing"


# -- CLI ----------------------------------------------------------------------------------


def test_cli_set_from_stdin_list_delete(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    result = runner.invoke(app, ["keys", "set", "openai", "--stdin"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert memory_keyring.stored[("fireside", "openai")] == SECRET
    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0
    assert "openai" in listed.output and "OS keyring" in listed.output
    assert SECRET not in listed.output
    deleted = runner.invoke(app, ["keys", "delete", "openai"])
    assert deleted.exit_code == 0 and "Deleted" in deleted.output
    assert ("fireside", "openai") not in memory_keyring.stored
    assert SECRET not in caplog.text


def test_cli_set_prompts_with_hidden_input(memory_keyring: MemoryKeyring) -> None:
    result = CliRunner().invoke(app, ["keys", "set", "anthropic"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output  # hidden: not echoed
    assert memory_keyring.stored[("fireside", "anthropic")] == SECRET


def test_cli_list_shows_configured_providers_keys(
    memory_keyring: MemoryKeyring, fireside_home: Path
) -> None:
    config = fireside_home / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        '[providers.claude]\nkind = "anthropic"\nmodel = "claude-haiku-4-5"\n'
        '[providers.lan]\nkind = "openai"\nmodel = "x"\nkey = ""\n'
        'base_url = "http://127.0.0.1:9/v1"\n'
    )
    result = CliRunner().invoke(app, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert "claude" in result.output and "not set" in result.output
    assert "lan" not in result.output


def test_cli_without_keyring_fails_with_the_env_var(no_keyring: None) -> None:
    result = CliRunner().invoke(app, ["keys", "set", "openai", "--stdin"], input=SECRET + "\n")
    assert result.exit_code == 1
    assert "FIRESIDE_OPENAI_API_KEY" in result.output
    assert SECRET not in result.output
    listed = CliRunner().invoke(app, ["keys", "list"])
    assert "keyring: none" in listed.output


def test_cli_delete_unknown_key(memory_keyring: MemoryKeyring) -> None:
    result = CliRunner().invoke(app, ["keys", "delete", "nope"])
    assert result.exit_code == 1
    assert "no key named 'nope'" in result.output
