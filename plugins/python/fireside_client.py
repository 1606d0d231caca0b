"""A small reference client for Fireside's localhost API (see ../README.md), on httpx.

    client = FiresideClient.from_token_file()          # http://127.0.0.1:8765
    for event in client.send_message("new", "What does main.py do?"):
        if event["type"] == "token":
            print(event["text"], end="", flush=True)

Single file, no Fireside imports: copy it into a project that wants to talk to Fireside.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8765"
SESSION_HEADER = "X-Fireside-Session"


class FiresideAPIError(Exception):
    """The server answered with an error: ``status`` and its OpenAI-shaped ``error`` object."""

    def __init__(self, status: int, error: dict[str, Any], headers: httpx.Headers) -> None:
        super().__init__(f"{status}: {error.get('message', 'request failed')}")
        self.status = status
        self.error = error
        self.headers = headers


def token_file() -> Path:
    """Where ``fireside token`` keeps the token: ``$FIRESIDE_HOME/data/api-token``, else the
    platform's data folder for "fireside" (Linux: ``~/.local/share/fireside/api-token``)."""
    home = os.environ.get("FIRESIDE_HOME")
    if home:
        return Path(home).expanduser() / "data" / "api-token"
    import sys

    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "fireside" / "api-token"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "fireside" / "fireside" / "api-token"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "fireside" / "api-token"


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The ``data:`` payloads of an SSE stream, one per event."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data:
        yield "\n".join(data)


class FiresideClient:
    def __init__(self, token: str, base_url: str = DEFAULT_URL, *, timeout: float = 120.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    @classmethod
    def from_token_file(cls, base_url: str = DEFAULT_URL, path: Path | None = None,
                        **kwargs: Any) -> FiresideClient:
        return cls((path or token_file()).read_text().strip(), base_url, **kwargs)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> FiresideClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            response.read()
            try:
                error = response.json().get("error") or {}
            except ValueError:
                error = {"message": response.text}
            raise FiresideAPIError(response.status_code, error, response.headers)
        return response

    def _get(self, path: str, **params: Any) -> Any:
        return self._check(self.http.get(path, params=params or None)).json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._check(self.http.post(path, json=body)).json()

    def _stream(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
                ) -> Iterator[str]:
        with self.http.stream("POST", path, json=body, headers=headers) as response:
            self._check(response)
            self.last_session_id = response.headers.get(SESSION_HEADER)
            yield from _sse_data(response.iter_lines())

    # -- Fireside's API ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._get("/api/v1/health")

    def sessions(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._get("/api/v1/sessions", limit=limit)["sessions"]

    def session(self, session_id: str) -> dict[str, Any]:
        return self._get(f"/api/v1/sessions/{session_id}")

    def send_message(self, session_id: str, content: str, context: str | None = None
                     ) -> Iterator[dict[str, Any]]:
        """Fireside's events for one turn (``session_id`` "new" starts a session; the
        ``done`` event names it)."""
        body: dict[str, Any] = {"content": content}
        if context is not None:
            body["context"] = context
        for data in self._stream(f"/api/v1/sessions/{session_id}/messages", body):
            yield json.loads(data)

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               path_glob: str | None = None, path: str | None = None
               ) -> list[dict[str, Any]]:
        """Hits as ``fireside search --json`` prints them."""
        body: dict[str, Any] = {"query": query, "k": k, "mode": mode}
        if path_glob is not None:
            body["path_glob"] = path_glob
        if path is not None:
            body["path"] = path
        return self._post("/api/v1/search", body)

    def start_index(self, path: str | None = None, embed: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"embed": embed}
        if path:
            body["path"] = path
        return self._post("/api/v1/index", body)

    def index_job(self, job_id: str) -> dict[str, Any]:
        return self._get(f"/api/v1/index/{job_id}")

    def index_events(self, job_id: str) -> Iterator[dict[str, Any]]:
        with self.http.stream("GET", f"/api/v1/index/{job_id}/events") as response:
            self._check(response)
            for data in _sse_data(response.iter_lines()):
                yield json.loads(data)

    # -- OpenAI-compatible ------------------------------------------------------------------

    def models(self) -> list[str]:
        return [m["id"] for m in self._get("/v1/models")["data"]]

    def chat(self, messages: list[dict[str, Any]], *, model: str = "fireside",
             session_id: str | None = None, **options: Any) -> dict[str, Any]:
        """A non-streaming chat completion (OpenAI's response object)."""
        headers = {SESSION_HEADER: session_id} if session_id else None
        response = self._check(self.http.post(
            "/v1/chat/completions", json={"model": model, "messages": messages, **options},
            headers=headers))
        self.last_session_id = response.headers.get(SESSION_HEADER)
        return response.json()

    def chat_stream(self, messages: list[dict[str, Any]], *, model: str = "fireside",
                    session_id: str | None = None, **options: Any) -> Iterator[dict[str, Any]]:
        """OpenAI chunk objects as they arrive (the ``[DONE]`` marker ends the iteration)."""
        headers = {SESSION_HEADER: session_id} if session_id else None
        body = {"model": model, "messages": messages, "stream": True, **options}
        for data in self._stream("/v1/chat/completions", body, headers):
            if data == "[DONE]":
                return
            chunk = json.loads(data)
            if "error" in chunk:
                raise FiresideAPIError(500, chunk["error"], httpx.Headers())
            yield chunk
