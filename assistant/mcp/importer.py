"""``fireside mcp add-from PATH``: servers from another client's config, appended to
``config.toml`` as ``[mcp.servers.NAME]`` tables (the rest of the file is left as it is).

Reads the ``mcpServers`` object of Claude Desktop's and Cursor's JSON files, and the
``servers`` object of VS Code's ``.vscode/mcp.json`` (or ``mcp.servers`` in its settings;
comments allowed). Values that look like secrets (an env variable or header named like a key,
token, secret or password, and ``Authorization``) are never written to the file: they go to
the keyring as ``mcp-SERVER-NAME`` and the file says ``keyring:mcp-SERVER-NAME``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.config_mcp import KEYRING_PREFIX, McpServerConfig
from assistant.errors import ConfigError, FiresideError

_SECRET = re.compile(r"(key|token|secret|password|passwd|auth|credential|cookie)", re.I)
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass
class Imported:
    """What an import did, for one summary."""

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: why"
    notes: list[str] = field(default_factory=list)
    text: str = ""  # the TOML appended


def read_servers(path: Path) -> dict[str, dict[str, Any]]:
    """The server entries of a Claude Desktop / Cursor / VS Code file; ConfigError when the
    file cannot be read or holds none."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(_strip_comments(raw))
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} holds no MCP servers (expected a JSON object)")
    for found in (data.get("mcpServers"), data.get("servers"),
                  (data.get("mcp") or {}).get("servers") if isinstance(data.get("mcp"), dict)
                  else None):
        if isinstance(found, dict):
            return {str(k): v for k, v in found.items() if isinstance(v, dict)}
    raise ConfigError(
        f"{path} holds no MCP servers (no 'mcpServers' or 'servers' object); expected a "
        "Claude Desktop, Cursor or VS Code (.vscode/mcp.json) file"
    )


def convert(name: str, entry: dict[str, Any], result: Imported) -> dict[str, Any] | None:
    """One entry as ``[mcp.servers.NAME]`` values (secrets not resolved yet), or None."""
    kind = str(entry.get("type") or entry.get("transport") or "").lower()
    table: dict[str, Any] = {}
    if entry.get("command"):
        table["command"] = str(entry["command"])
        if entry.get("args"):
            table["args"] = [str(a) for a in entry["args"]]
        if isinstance(entry.get("env"), dict) and entry["env"]:
            table["env"] = {str(k): str(v) for k, v in entry["env"].items()}
        if entry.get("cwd"):
            table["cwd"] = str(entry["cwd"])
    elif entry.get("url") or entry.get("serverUrl"):
        table["url"] = str(entry.get("url") or entry.get("serverUrl"))
        if isinstance(entry.get("headers"), dict) and entry["headers"]:
            table["headers"] = {str(k): str(v) for k, v in entry["headers"].items()}
        if kind == "sse":
            result.notes.append(
                f"{name}: an SSE server; Fireside speaks streamable HTTP, which it may not answer"
            )
    else:
        result.skipped.append(f"{name}: neither a command nor a url")
        return None
    if entry.get("disabled") is True or entry.get("enabled") is False:
        table["enabled"] = False
    if entry.get("envFile"):
        result.notes.append(f"{name}: envFile is not read; add its variables to env")
    placeholders = sorted({m for v in _values(table) for m in _PLACEHOLDER.findall(v)})
    if placeholders:
        result.notes.append(
            f"{name}: uses {', '.join(placeholders)}, which Fireside does not expand; edit "
            "the value (or use keyring:KEY)"
        )
    return table


def _values(table: dict[str, Any]) -> list[str]:
    out = [v for k, v in table.items() if isinstance(v, str)]
    out += [a for a in table.get("args", [])]
    for key in ("env", "headers"):
        out += list(table.get(key, {}).values())
    return out


def server_name(name: str) -> str:
    """A name ``[mcp.servers.NAME]`` accepts: other characters become ``-``."""
    clean = re.sub(r"[^A-Za-z0-9_-]", "-", name.strip()).strip("-_")[:32]
    if not clean or not clean[0].isalpha():
        clean = ("mcp-" + clean)[:32]
    return clean


def move_secrets(name: str, table: dict[str, Any], result: Imported, store: bool = True) -> None:
    """Put secret-looking env/header values into the keyring (``store``; where there is no
    keyring the user is told which environment variable to set) and leave ``keyring:KEY`` in
    the table: a secret is never written to the file, nor shown by a dry run."""
    from assistant import secrets

    for section in ("env", "headers"):
        values = table.get(section, {})
        for var, value in list(values.items()):
            if not _SECRET.search(var) or not value or value.startswith(KEYRING_PREFIX):
                continue
            if _PLACEHOLDER.fullmatch(value):
                continue  # a ${input:…} reference, not a value
            key = secrets.check_name(f"mcp-{name}-{var}"[:64])
            values[var] = KEYRING_PREFIX + key
            if not store:
                result.notes.append(f"{name}: {section} {var} would go to the keyring as {key}")
                continue
            try:
                secrets.set_key(key, value)
                result.notes.append(f"{name}: {section} {var} stored in the keyring as {key}")
            except FiresideError:  # no keyring: the value goes nowhere
                result.notes.append(
                    f"{name}: {section} {var} looks secret and was not written to the file; "
                    f"this machine has no usable keyring: set {secrets.env_var(key)}"
                )


def add_from(path: Path, config_file: Path, dry_run: bool = False) -> Imported:
    """Append the servers of ``path`` not configured yet to ``config_file``."""
    entries = read_servers(path)
    existing = _existing(config_file)
    result = Imported()
    tables: list[tuple[str, dict[str, Any]]] = []
    for raw_name, entry in entries.items():
        name = server_name(raw_name)
        if name in existing or name in dict(tables):
            result.skipped.append(f"{name}: already configured")
            continue
        table = convert(name, entry, result)
        if table is None:
            continue
        try:
            McpServerConfig.model_validate(table)
        except ValidationError as exc:
            result.skipped.append(f"{name}: {exc.errors()[0]['msg']}")
            continue
        tables.append((name, table))
    for name, table in tables:
        move_secrets(name, table, result, store=not dry_run)
    result.added = [n for n, _ in tables]
    result.text = "".join(_toml_table(n, t) for n, t in tables)
    if tables and not dry_run:
        _append(config_file, result.text)
    return result


def _existing(config_file: Path) -> set[str]:
    from assistant.config import read_config_file

    data = read_config_file(config_file)
    servers = (data.get("mcp") or {}).get("servers") or {}
    return set(servers) if isinstance(servers, dict) else set()


def _append(config_file: Path, text: str) -> None:
    """Append ``text``; if the file no longer parses the old content is put back."""
    try:
        before = config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        before = None
    new = (before or "")
    if new and not new.endswith("\n"):
        new += "\n"
    new += text
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the servers cannot be added to {config_file} (it defines [mcp] in a way new "
            f"tables would clash with: {exc}); nothing was changed"
        ) from None
    config_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = config_file.with_name(config_file.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(config_file)


def _toml_table(name: str, table: dict[str, Any]) -> str:
    lines = [f"\n[mcp.servers.{name}]"]
    for key, value in table.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    return json.dumps(value)


def _strip_comments(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments (VS Code's files) as plain JSON."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
            continue
        else:
            out.append(ch)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))
