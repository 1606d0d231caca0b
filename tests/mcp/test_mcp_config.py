"""[mcp.servers.NAME] settings, keyring secrets, `fireside mcp add-from` (Claude Desktop /
Cursor / VS Code files into config.toml) and `fireside mcp list/test` through the real CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.mcp.importer import add_from
from assistant.mcp.launch import McpConfigError, child_environment, http_transport
from assistant.paths import get_paths

TIME_SERVER = str(Path(sys.executable).with_name("mcp-server-time"))
runner = CliRunner()


def write_config(text: str) -> Path:
    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_servers_are_read_from_config_toml() -> None:
    write_config(
        '[mcp.servers.time]\ncommand = "mcp-server-time"\nargs = ["--local-timezone", "UTC"]\n'
        'timeout = 5\n\n[mcp.servers.remote]\nurl = "http://127.0.0.1:9/mcp"\n'
        'headers = { Authorization = "keyring:remote-token" }\nenabled = false\n'
    )
    servers = load_settings().mcp.servers
    assert servers["time"].args == ["--local-timezone", "UTC"] and servers["time"].timeout == 5
    assert servers["remote"].kind == "http" and servers["remote"].enabled is False


@pytest.mark.parametrize("table, message", [
    ('command = "x"\nurl = "http://h/mcp"', "either `command`"),
    ("enabled = true", "either `command`"),
    ('url = "ftp://h/mcp"', "http:// or https://"),
])
def test_a_bad_server_table_is_one_clear_error(table: str, message: str) -> None:
    write_config(f"[mcp.servers.x]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_keyring_values_are_resolved_at_start(memory_keyring, monkeypatch) -> None:
    from assistant import secrets

    secrets.set_key("gh-token", "ghp_from_keyring")
    settings = load_settings(mcp={"servers": {"gh": {
        "command": "x", "env": {"GITHUB_TOKEN": "keyring:gh-token", "MODE": "plain"}}}})
    env = child_environment(settings.mcp.servers["gh"])
    assert env["GITHUB_TOKEN"] == "ghp_from_keyring" and env["MODE"] == "plain"
    assert set(env) <= {"PATH", "HOME", "GITHUB_TOKEN", "MODE"}
    missing = load_settings(mcp={"servers": {"gh": {
        "command": "x", "env": {"T": "keyring:not-stored"}}}})
    with pytest.raises(McpConfigError, match="env T: no API key named 'not-stored'"):
        child_environment(missing.mcp.servers["gh"])


def test_a_remote_server_is_refused_under_policy_local() -> None:
    settings = load_settings(mcp={"servers": {"r": {"url": "https://mcp.example.com/mcp"}}})
    with pytest.raises(McpConfigError, match="policy is 'local'"):
        http_transport(settings.mcp.servers["r"], "local")
    local = load_settings(mcp={"servers": {"r": {"url": "http://127.0.0.1:1/mcp"}}})
    assert http_transport(local.mcp.servers["r"], "local") is not None  # nothing connects yet


CLAUDE = {
    "mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "server-filesystem", "/tmp/x"]},
        "github": {"command": "docker", "args": ["run", "-i", "gh"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_secret123", "LOG": "debug"}},
        "remote api": {"url": "https://example.com/mcp",
                       "headers": {"Authorization": "Bearer abc123"}},
        "broken": {"args": ["nothing to run"]},
    }
}

VSCODE = """// .vscode/mcp.json
{
  "inputs": [{"type": "promptString", "id": "key", "password": true}],
  "servers": {
    "fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"], /* c */ },
    "ask": {"type": "stdio", "command": "npx", "env": {"API_KEY": "${input:key}"}},
  }
}
"""


def test_add_from_claude_desktop_keeps_the_file_and_never_writes_secrets(
    tmp_path: Path, memory_keyring
) -> None:
    from assistant import secrets

    config = write_config('# my settings\npolicy = "local"  # keep this comment\n')
    source = tmp_path / "claude_desktop_config.json"
    source.write_text(json.dumps(CLAUDE))
    result = add_from(source, config)
    assert result.added == ["filesystem", "github", "remote-api"]
    assert result.skipped == ["broken: neither a command nor a url"]
    text = config.read_text()
    assert text.startswith('# my settings\npolicy = "local"  # keep this comment\n')
    assert "ghp_secret123" not in text and "abc123" not in text
    servers = load_settings().mcp.servers
    assert servers["filesystem"].args == ["-y", "server-filesystem", "/tmp/x"]
    env = servers["github"].env
    assert env == {"GITHUB_PERSONAL_ACCESS_TOKEN":
                   "keyring:mcp-github-github_personal_access_token", "LOG": "debug"}
    assert secrets.get_key("mcp-github-github_personal_access_token") == "ghp_secret123"
    assert servers["remote-api"].headers["Authorization"].startswith("keyring:")
    # Importing again adds nothing.
    again = add_from(source, config)
    assert again.added == [] and len(again.skipped) == 4
    assert config.read_text() == text


def test_add_from_vscode_reads_comments_and_notes_placeholders(
    tmp_path: Path, memory_keyring
) -> None:
    config = get_paths().config_file
    source = tmp_path / "mcp.json"
    source.write_text(VSCODE)
    result = add_from(source, config)
    assert result.added == ["fetch", "ask"]
    assert any("${input:key}" in n for n in result.notes)
    assert load_settings().mcp.servers["fetch"].command == "uvx"


def test_add_from_without_a_keyring_says_which_variable_to_set(
    tmp_path: Path, no_keyring: None
) -> None:
    source = tmp_path / "c.json"
    source.write_text(json.dumps({"mcpServers": {"gh": {"command": "x", "env": {
        "GH_TOKEN": "ghp_plain"}}}}))
    config = get_paths().config_file
    result = add_from(source, config)
    assert "ghp_plain" not in config.read_text()
    assert any("FIRESIDE_MCP_GH_GH_TOKEN_API_KEY" in n for n in result.notes)


def test_add_from_a_file_without_servers_is_one_error(tmp_path: Path) -> None:
    source = tmp_path / "x.json"
    source.write_text('{"theme": "dark"}')
    result = runner.invoke(app, ["mcp", "add-from", str(source)])
    assert result.exit_code == 1
    assert "holds no MCP servers" in result.output
    assert not get_paths().config_file.exists()


def test_cli_list_and_test_start_the_real_time_server() -> None:
    write_config(
        f'[mcp.servers.time]\ncommand = {json.dumps(TIME_SERVER)}\n\n'
        '[mcp.servers.gone]\ncommand = "no-such-mcp-program"\n'
    )
    listed = runner.invoke(app, ["mcp", "list"])
    assert listed.exit_code == 0, listed.output
    assert "time  ready  stdio" in listed.output
    assert "time.get_current_time" in listed.output
    assert "gone  failed" in listed.output and "not found on PATH" in listed.output
    as_json = runner.invoke(app, ["mcp", "list", "--json", "--no-start"])
    rows = json.loads(as_json.stdout)
    assert [(r["name"], r["state"]) for r in rows] == [("time", "stopped"), ("gone", "stopped")]
    tested = runner.invoke(app, ["mcp", "test", "time"])
    assert tested.exit_code == 0 and "time.convert_time" in tested.output
    failed = runner.invoke(app, ["mcp", "test", "gone"])
    assert failed.exit_code == 1
    unknown = runner.invoke(app, ["mcp", "test", "nope"])
    assert unknown.exit_code == 1 and "no MCP server named 'nope'" in unknown.output
