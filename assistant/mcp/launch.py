"""How a configured server is reached: a stdio child process with a clean environment, or a
streamable-HTTP endpoint with its headers. Secrets (``keyring:KEY``) are resolved here, at
start, and live only in the child's environment or the HTTP client's headers.

A stdio server is started through a tiny Python launcher (``python -I -S -c …``) that
replaces itself with the server (``exec``, same process id) after it has

- cut the environment down to what the config names plus ``PATH`` and ``HOME`` (the SDK
  would also pass ``LOGNAME``, ``SHELL``, ``TERM`` and ``USER``),
- asked Linux to send the server SIGTERM when Fireside dies in any way (``PR_SET_PDEATHSIG``:
  a crash or ``kill -9`` of the app cannot leave a server behind), and
- written its process id to a file, so Fireside can end the server's whole process group
  at exit without waiting for the protocol's polite shutdown.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from assistant.config_mcp import KEYRING_PREFIX, McpServerConfig
from assistant.errors import FiresideError

_LAUNCHER = r"""
import os, sys
names = [n for n in os.environ.get("FIRESIDE_MCP_KEEP", "").split(",") if n]
env = {k: os.environ[k] for k in ("PATH", "HOME", *names) if k in os.environ}
try:
    import ctypes, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != int(os.environ.get("FIRESIDE_MCP_PARENT", "0")):
        os._exit(1)  # Fireside is already gone
except (OSError, AttributeError, ValueError):
    pass  # not Linux: the process group is still ended at exit
pidfile = os.environ.get("FIRESIDE_MCP_PIDFILE")
if pidfile:
    with open(pidfile, "w") as f:
        f.write(str(os.getpid()))
try:
    os.execvpe(sys.argv[1], sys.argv[1:], env)
except OSError as exc:
    sys.stderr.write(f"cannot start {sys.argv[1]}: {exc.strerror}\n")
    os._exit(127)
"""


class McpConfigError(FiresideError):
    """A server's settings cannot be used (missing program, missing secret, blocked URL)."""


def resolve_secrets(values: dict[str, str], what: str) -> dict[str, str]:
    """``values`` with each ``keyring:KEY`` replaced by the key's value (MissingKeyError,
    naming the key and how to set it, when it is not stored)."""
    from assistant import secrets

    out = {}
    for name, value in values.items():
        if value.startswith(KEYRING_PREFIX):
            key = value[len(KEYRING_PREFIX):].strip()
            try:
                out[name] = secrets.require_key(key)
            except FiresideError as exc:
                raise McpConfigError(f"{what} {name}: {exc}") from None
        else:
            out[name] = value
    return out


def child_environment(config: McpServerConfig) -> dict[str, str]:
    """What the server's process gets: PATH and HOME from Fireside's environment, then the
    config's ``env`` (secrets resolved), which wins."""
    env = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    env.update(resolve_secrets(config.env, "env"))
    return env


def stdio_parameters(config: McpServerConfig, pidfile: Path) -> Any:
    """The SDK's StdioServerParameters that start ``config.command`` through the launcher."""
    from mcp import StdioServerParameters

    assert config.command is not None
    env = child_environment(config)
    if shutil.which(config.command, path=env.get("PATH")) is None:
        raise McpConfigError(f"command {config.command!r} was not found on PATH")
    cwd = Path(config.cwd).expanduser() if config.cwd else None
    if cwd is not None and not cwd.is_dir():
        raise McpConfigError(f"cwd {str(cwd)!r} is not a folder")
    launcher_env = {
        **env,
        "FIRESIDE_MCP_KEEP": ",".join(k for k in env if k not in ("PATH", "HOME")),
        "FIRESIDE_MCP_PARENT": str(os.getpid()),
        "FIRESIDE_MCP_PIDFILE": str(pidfile),
    }
    return StdioServerParameters(
        command=sys.executable,
        args=["-I", "-S", "-c", _LAUNCHER, config.command, *config.args],
        env=launcher_env,
        cwd=cwd,
    )


def stdio_transport(config: McpServerConfig, pidfile: Path, errlog: TextIO) -> Any:
    """A transport for ``mcp.Client``: the server's stderr goes to ``errlog`` (a log file),
    never onto the terminal or the TUI."""
    from mcp.client.stdio import stdio_client

    return stdio_client(stdio_parameters(config, pidfile), errlog=errlog)


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_transport(config: McpServerConfig, policy: str) -> Any:
    """A streamable-HTTP transport with the config's headers (secrets resolved). With policy
    ``local`` only a server on this machine (loopback) may be reached."""
    assert config.url is not None
    if policy == "local" and not is_loopback_url(config.url):
        raise McpConfigError(
            f"{config.url} is not on this machine and policy is 'local' (nothing leaves the "
            "machine); set policy to 'fallback' or 'hosted' to use it"
        )
    headers = resolve_secrets(config.headers, "header")
    return _http(config.url, headers, config.timeout)


@asynccontextmanager
async def _http(url: str, headers: dict[str, str], timeout: float) -> AsyncIterator[Any]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(timeout)) as client,
        streamable_http_client(url, http_client=client) as streams,
    ):
        yield streams
