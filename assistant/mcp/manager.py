"""Running MCP servers: one asyncio loop in a background thread owns every connection; the
callers (the agent loop's worker thread, the CLI) block on futures with a deadline.

Each server lives in its own task (``async with mcp.Client(...)``), so one that fails to
start, hangs or dies is marked ``failed`` with a one-line reason and the others go on.
:meth:`McpManager.close` (also run at exit) asks every server to stop, then ends the process
group of any stdio server still alive.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.errors import FiresideError, ToolError

if TYPE_CHECKING:
    from assistant.config import Settings

STOPPED, STARTING, READY, FAILED, DISABLED = "stopped", "starting", "ready", "failed", "disabled"
_POLL = 0.05
_CLOSE_SECONDS = 3.0
_MAX_TOOLS = 500


@dataclass
class ServerSpec:
    """How to reach one server. ``connect(pidfile, errlog)`` returns what ``mcp.Client``
    takes (a transport, or in tests an in-process server); it may raise FiresideError."""

    name: str
    connect: Callable[[Path, IO[str]], Any]
    timeout: float = 30.0
    enabled: bool = True
    kind: str = "stdio"


@dataclass
class _Server:
    spec: ServerSpec
    state: str = STOPPED
    error: str | None = None
    tools: list[Any] = field(default_factory=list)  # mcp_types.Tool
    client: Any = None
    pid: int | None = None
    log_path: Path | None = None
    pidfile: Path | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    stop: asyncio.Event | None = None
    future: concurrent.futures.Future[None] | None = None

    def fail(self, reason: str) -> None:
        if self.state != FAILED:
            self.state, self.error = FAILED, reason
        self.ready.set()


@dataclass(frozen=True)
class ServerInfo:
    """A server as ``fireside mcp list`` shows it."""

    name: str
    kind: str
    state: str
    error: str | None
    tools: tuple[tuple[str, str], ...]  # (name, description)
    log: str | None = None


class McpManager:
    """The servers of one Fireside process (see the module docstring)."""

    def __init__(self, specs: Iterable[ServerSpec], start_timeout: float = 20.0) -> None:
        self._servers = {s.name: _Server(s, DISABLED if not s.enabled else STOPPED) for s in specs}
        self.start_timeout = start_timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, names: Iterable[str] | None = None) -> McpManager:
        from assistant.mcp.launch import http_transport, stdio_transport

        wanted = set(names) if names is not None else None
        specs = []
        for name, config in settings.mcp.servers.items():
            if wanted is not None and name not in wanted:
                continue
            if config.url:
                def connect(_pid: Path, _log: IO[str], c: Any = config) -> Any:
                    return http_transport(c, settings.policy)
            else:
                def connect(pid: Path, log: IO[str], c: Any = config) -> Any:
                    return stdio_transport(c, pid, log)
            enabled = config.enabled or wanted is not None
            specs.append(ServerSpec(name, connect, config.timeout, enabled, config.kind))
        return cls(specs, settings.mcp.start_timeout)

    # -- state ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._servers)

    def state(self, name: str) -> str:
        server = self._servers.get(name)
        return server.state if server is not None else STOPPED

    def tools(self, name: str) -> list[Any]:
        server = self._servers.get(name)
        return list(server.tools) if server is not None and server.state == READY else []

    def timeout(self, name: str) -> float:
        return self._servers[name].spec.timeout

    def info(self) -> list[ServerInfo]:
        return [
            ServerInfo(
                s.spec.name, s.spec.kind, s.state, s.error,
                tuple((t.name, " ".join((t.description or "").split())) for t in s.tools),
                str(s.log_path) if s.log_path else None,
            )
            for s in self._servers.values()
        ]

    def problems(self) -> list[str]:
        """One line per server that failed."""
        return [f"MCP server {s.spec.name} failed: {s.error}; its tools are not offered"
                for s in self._servers.values() if s.state == FAILED]

    # -- starting -------------------------------------------------------------------------

    def start(self, names: Iterable[str] | None = None) -> None:
        """Start the enabled servers not started yet (all at once) and wait until each is
        ready or has failed, at most ``start_timeout`` seconds."""
        wanted = set(names) if names is not None else None
        loop = self._ensure_loop()
        starting = []
        for server in self._servers.values():
            if server.state != STOPPED or (wanted is not None and server.spec.name not in wanted):
                continue
            server.state, server.error = STARTING, None
            server.ready.clear()
            server.future = asyncio.run_coroutine_threadsafe(self._serve(server), loop)
            starting.append(server)
        deadline = time.monotonic() + self.start_timeout
        for server in starting:
            if not server.ready.wait(max(0.0, deadline - time.monotonic())):
                server.fail(f"did not start within {self.start_timeout:g} s")
                self._stop(server)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise FiresideError("the MCP servers were shut down")
            if self._loop is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="fireside-mcp-")
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="fireside-mcp", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)
            return self._loop

    async def _serve(self, server: _Server) -> None:
        from mcp import Client
        from mcp_types import Implementation

        from assistant import __version__

        assert self._tmp is not None
        server.stop = asyncio.Event()
        name = server.spec.name
        pidfile = server.pidfile = Path(self._tmp.name) / f"{name}.pid"
        server.log_path = _log_path(name)
        errlog = _open_log(server.log_path)
        try:
            target = server.spec.connect(pidfile, errlog)
            client = Client(
                target, read_timeout_seconds=server.spec.timeout,
                client_info=Implementation(name="fireside", version=__version__),
            )
            async with client:
                server.tools = await _list_tools(client)
                server.pid = _read_pid(pidfile)
                server.client, server.state = client, READY
                server.ready.set()
                await server.stop.wait()
        except BaseException as exc:  # noqa: BLE001 - every failure is one line for the user
            reason = _describe(exc, server.log_path)
            if server.state == STARTING and reason.startswith("Connection closed"):
                reason = "it exited before it was ready" + reason[len("Connection closed"):]
            server.fail(reason)
        finally:
            server.client = None
            if server.state in (READY, STARTING):
                server.state = STOPPED
            server.ready.set()
            errlog.close()

    # -- calling --------------------------------------------------------------------------

    def call(
        self,
        name: str,
        tool: str,
        arguments: dict[str, Any],
        timeout: float,
        cancel: threading.Event | None = None,
    ) -> Any:
        """Call ``tool`` on server ``name``; the ``CallToolResult``. Raises ToolError when
        the server is not running, dies, errs, or does not answer within ``timeout``."""
        server = self._servers.get(name)
        if server is None or server.state != READY or server.client is None or not self._loop:
            reason = server.error if server is not None and server.error else "not running"
            raise ToolError(f"MCP server {name} is unavailable ({reason})")
        future = asyncio.run_coroutine_threadsafe(
            self._call(server, tool, arguments, timeout), self._loop
        )
        deadline = time.monotonic() + timeout + 1.0
        while True:
            try:
                return future.result(timeout=_POLL)
            except concurrent.futures.TimeoutError:
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    raise ToolError(f"{name}.{tool} was cancelled") from None
                if time.monotonic() >= deadline:
                    future.cancel()
                    raise ToolError(_late(name, tool, timeout)) from None
            except concurrent.futures.CancelledError:
                raise ToolError(f"{name}.{tool} was cancelled") from None

    async def _call(self, server: _Server, tool: str, arguments: dict[str, Any], timeout: float
                    ) -> Any:
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        name = server.spec.name
        try:
            return await asyncio.wait_for(
                server.client.call_tool(tool, arguments, read_timeout_seconds=timeout), timeout
            )
        except TimeoutError:
            raise ToolError(_late(name, tool, timeout)) from None
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise ToolError(_late(name, tool, timeout)) from None
            if exc.code == CONNECTION_CLOSED:
                self._died(server)
                raise ToolError(f"MCP server {name} stopped during the call") from None
            raise ToolError(f"MCP server {name}: {_one_line(exc.error.message)}") from None
        except (ToolError, asyncio.CancelledError):
            raise
        except Exception as exc:
            self._died(server, exc)
            raise ToolError(f"MCP server {name} failed: {_describe(exc, None)}") from None

    def _died(self, server: _Server, exc: BaseException | None = None) -> None:
        reason = "it stopped (the connection closed)"
        if exc is not None:
            reason = _describe(exc, None)
        if server.log_path is not None:
            last = _last_line(server.log_path)
            reason += f": {last}" if last else ""
        server.fail(reason)
        if server.stop is not None:
            server.stop.set()

    # -- stopping -------------------------------------------------------------------------

    def _stop(self, server: _Server) -> None:
        loop = self._loop
        if loop is None or server.future is None:
            return
        if server.stop is not None:
            loop.call_soon_threadsafe(server.stop.set)
        if server.state != READY:  # still starting: cancel the handshake
            loop.call_soon_threadsafe(server.future.cancel)

    def close(self) -> None:
        """Stop every server (politely, then by signal); safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None:
            return
        servers = list(self._servers.values())
        for server in servers:
            self._stop(server)
        futures = [s.future for s in servers if s.future is not None]
        concurrent.futures.wait(futures, timeout=_CLOSE_SECONDS)
        for server in servers:  # servers that did not stop (or never finished starting)
            _kill_group(server.pid or (_read_pid(server.pidfile) if server.pidfile else None))
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=1.0)
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)


async def _list_tools(client: Any) -> list[Any]:
    tools: list[Any] = []
    cursor = None
    while len(tools) < _MAX_TOOLS:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools[:_MAX_TOOLS]


def _kill_group(pid: int | None) -> None:
    """End the process group of a stdio server that outlived the polite shutdown."""
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            return
        for _ in range(20):
            if not _alive(pid):
                return
            time.sleep(0.025)


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_path(name: str) -> Path:
    from assistant.paths import get_paths

    return get_paths().cache_dir / "mcp" / f"{name}.log"


def _open_log(path: Path) -> IO[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        return open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _last_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [ln for ln in lines if ln]
    return _one_line(lines[-1])[:200] if lines else ""


def _describe(exc: BaseException, log: Path | None) -> str:
    """One line for a failure (the first real error inside exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, asyncio.CancelledError):
        text = "stopped"
    elif isinstance(exc, FiresideError):
        text = str(exc)
    else:
        message = getattr(getattr(exc, "error", None), "message", None) or str(exc)
        text = message if message else type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            text = exc.strerror
    if log is not None and not isinstance(exc, FiresideError):
        last = _last_line(log)
        if last:
            text += f" (server said: {last})"
    return _one_line(text)


def _late(name: str, tool: str, timeout: float) -> str:
    return f"{name}.{tool} did not answer within {timeout:g} s and was stopped"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
