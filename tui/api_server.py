"""The localhost API inside the TUI: ``/serve`` starts or stops it in the background, sharing
the app's orchestrator and model; the status bar shows its address.

Every turn on the app's model goes through one :class:`~assistant.model_queue.ModelQueue`
(``app.model_queue``): the TUI's own turns (:func:`queued`) and the editors' requests. The
person at the keyboard is never refused, only queued behind a running request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from textual.message import Message

from assistant.errors import FiresideError
from assistant.events import Event, StatusEvent
from tui.commands import CommandError, CommandRegistry

if TYPE_CHECKING:
    from assistant.model_queue import ModelQueue
    from tui.chat_screen import ChatScreen


class ApiServerChanged(Message):
    """The API server started (``url``) or stopped (``url`` None); ``error`` when it failed."""

    def __init__(self, url: str | None, error: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.error = error


def queued(
    events: Iterator[Event], queue: ModelQueue | None, cancel: threading.Event
) -> Iterator[Event]:
    """``events`` (a turn not yet started) run once the model is free."""
    if queue is None:
        yield from events
        return
    ticket = queue.admit(bounded=False)
    try:
        if queue.running:
            yield StatusEvent("waiting for the model (an editor's request is running)…")
        ticket.wait(cancel)  # cancelled while waiting: the turn still saves the prompt
        yield from events
    finally:
        ticket.release()


class ApiServerToggle:
    """Starts and stops the app's API server (on worker threads: binding and importing
    FastAPI take a moment)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.server: Any = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str | None:
        return self.server.url if self.server is not None and self.server.running else None

    def start(self) -> str:
        """Start it (no-op when running); returns the URL. Raises FiresideError."""
        from assistant.server.run import BackgroundServer, check_host, make_context

        with self._lock:
            if self.server is not None and self.server.running:
                return self.server.url
            orchestrator = self.app.orchestrator
            settings = orchestrator.settings
            host = settings.server.host
            check_host(host, allow_remote=False)
            self.server = BackgroundServer(
                lambda port: make_context(settings, orchestrator.store, orchestrator,
                                          host=host, port=port, queue=self.app.model_queue),
                host,
                settings.server.port,
            )
            try:
                return self.server.start()
            except BaseException:
                self.server = None
                raise

    def stop(self) -> None:
        with self._lock:
            server, self.server = self.server, None
        if server is not None:
            server.stop()


def register(commands: CommandRegistry) -> None:
    @commands.command("serve", "Start or stop the localhost API for editors",
                      usage="/serve [stop]")
    def serve(screen: ChatScreen, args: str) -> None:
        toggle: ApiServerToggle | None = getattr(screen.app, "api_server", None)
        if toggle is None:
            raise CommandError("This window cannot run the API; use `fireside serve`.")
        if args not in ("", "stop", "start"):
            raise CommandError("Use /serve to start or stop the API, /serve stop to stop it.")
        stopping = args == "stop" or (args == "" and toggle.url is not None)
        app = screen.app

        def work() -> None:
            if stopping:
                toggle.stop()
                app.post_message(ApiServerChanged(None))
                return
            try:
                url = toggle.start()
            except FiresideError as exc:
                app.post_message(ApiServerChanged(None, str(exc)))
                return
            app.post_message(ApiServerChanged(url))

        screen.run_worker(work, thread=True, group="api-server", exclusive=True,
                          name="api-server")
