"""Starting the API: checking the bind address, binding the port, running uvicorn (in the
foreground for ``fireside serve``, or in a background thread for the TUI)."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import threading
from typing import TYPE_CHECKING, Any

from assistant.errors import ServerError
from assistant.model_queue import ModelQueue

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.orchestrator import Orchestrator
    from assistant.server.context import ServerContext
    from assistant.store import Store

GRACEFUL_S = 3


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> str | None:
    """None for a loopback address; a warning for another one when ``allow_remote``;
    ServerError otherwise."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise ServerError(
            f"refusing to listen on {host}: only loopback (127.0.0.1, ::1) is safe; add "
            "--allow-remote to expose the API to other machines"
        )
    return (
        f"Warning: listening on {host}: other machines can reach this API (the bearer token "
        "still guards it, but traffic is plain HTTP)."
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready socket bound to ``host:port`` (port 0: a free one)."""
    target = "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            target, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ServerError(f"cannot listen on {host}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerError(
                f"port {port} on {host} is already in use (another `fireside serve`?); "
                "stop it or pick another with --port"
            ) from None
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _extra_hosts(host: str) -> tuple[str, ...]:
    if is_loopback(host):
        return ()
    if host in ("0.0.0.0", "::"):
        names = {socket.gethostname()}
        with contextlib.suppress(OSError):
            names.update(socket.gethostbyname_ex(socket.gethostname())[2])
        return tuple(sorted(names))
    return (f"[{host}]" if ":" in host else host,)


def make_context(
    settings: Settings,
    store: Store,
    orchestrator: Orchestrator,
    *,
    host: str,
    port: int,
    queue: ModelQueue | None = None,
) -> ServerContext:
    from assistant.server.context import ServerContext, TokenSource
    from assistant.server.index_jobs import IndexJobs

    return ServerContext(
        settings=settings,
        store=store,
        orchestrator=orchestrator,
        queue=queue or ModelQueue(settings.server.queue_size),
        token=TokenSource(),
        port=port,
        host=host,
        extra_hosts=_extra_hosts(host),
        jobs=IndexJobs(settings),
    )


def uvicorn_server(ctx: ServerContext) -> Any:
    import uvicorn

    from assistant.server.app import create_app
    from assistant.server.http_limits import http_protocol_options

    config = uvicorn.Config(
        create_app(ctx),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_S,
        server_header=False,
        **http_protocol_options(),  # header size and count caps
    )
    return uvicorn.Server(config)


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class BackgroundServer:
    """The API in a daemon thread (the TUI's toggle). :meth:`start` binds first, so a port in
    use fails there with a ServerError; :meth:`stop` asks uvicorn to finish and waits."""

    def __init__(self, ctx_for_port: Any, host: str, port: int) -> None:
        self._ctx_for_port = ctx_for_port  # port -> ServerContext
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.ctx: ServerContext | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        return address(self.host, self.port)

    def start(self, timeout: float = 10.0) -> str:
        sock = bind_socket(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        try:
            self.ctx = self._ctx_for_port(self.port)
            self._server = uvicorn_server(self.ctx)
        except BaseException:
            sock.close()
            raise
        server = self._server

        def run() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="fireside-api", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not ready.wait(0.02):
            if server.started or not self._thread.is_alive():
                break
            timeout -= 0.02
            if timeout <= 0:
                break
        if not server.started:
            self.stop()
            raise ServerError(f"the API server did not start on {self.url}")
        return self.url

    def stop(self, timeout: float = GRACEFUL_S + 2) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        if self.ctx is not None and self.ctx.jobs is not None:
            self.ctx.jobs.cancel_all()
