"""What both route modules use to run a turn as a response: the streaming response that
gives up its place in the line, and the watcher that cancels a turn when the client leaves."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse


class TurnStream(StreamingResponse):
    """A streaming response that gives up its place in the line if it never started."""

    def __init__(self, content: AsyncIterator[str], ticket: Any, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._ticket = ticket

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._ticket.abandon()


async def watch_disconnect(request: Request, cancel: threading.Event) -> None:
    """Set ``cancel`` when the client disconnects (for answers that are not streamed)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.set()
            return
