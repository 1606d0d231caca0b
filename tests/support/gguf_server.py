"""A real loopback HTTP server that serves GGUF files like the Hugging Face hub does.

Routes: ``/api/models/OWNER/REPO/tree/main`` (the file list with sizes and LFS sha256),
``/OWNER/REPO/resolve/main/FILE`` and ``/files/FILE`` (the bytes, with ``Range`` support).
Faults are queued per file name and used up one request at a time: ``"503"``, ``"404"``,
``"401"``, ``"drop:0.5"`` (send headers for the whole body, then half of it, then close),
``"slow"`` (the body in small pieces with pauses) and ``"norange"`` (ignore ``Range``).
Every request is recorded with its Range header, and the body bytes sent are counted.
Used by the pull tests and ``bench/pull_bench.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class GGUFServer:
    def __init__(self, files: dict[str, Path], repo: str = "acme/tiny-GGUF") -> None:
        self.files = files
        self.repo = repo
        self.faults: dict[str, list[str]] = {}
        self.sha_override: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._sha: dict[str, str] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GGUFServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def sha256(self, name: str) -> str:
        if name not in self._sha:
            digest = hashlib.sha256()
            with self.files[name].open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            self._sha[name] = digest.hexdigest()
        return self._sha[name]

    def file_url(self, name: str) -> str:
        return f"{self.url}/files/{name}"

    # -- request handling ---------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((path, h.headers.get("Range")))
        if path == f"/api/models/{self.repo}/tree/main":
            entries = [{"type": "file", "path": "README.md", "size": 10}] + [
                {"type": "file", "path": name, "size": p.stat().st_size,
                 "lfs": {"oid": self.sha_override.get(name, self.sha256(name)),
                         "size": p.stat().st_size}}
                for name, p in self.files.items()
            ]
            return self._reply(h, 200, json.dumps(entries).encode(), "application/json")
        name = None
        for prefix in (f"/{self.repo}/resolve/main/", "/files/"):
            if path.startswith(prefix):
                name = path[len(prefix):]
        if name is None or name not in self.files:
            return self._reply(h, 404, b"Entry not found")
        fault = self._next_fault(name)
        if fault in ("503", "404", "401", "500"):
            return self._reply(h, int(fault), b"fault")
        self._send_file(h, self.files[name], fault)

    def _next_fault(self, name: str) -> str | None:
        with self._lock:
            queue = self.faults.get(name) or []
            return queue.pop(0) if queue else None

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: bytes,
               content_type: str = "text/plain") -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.wfile.write(body)

    def _send_file(self, h: BaseHTTPRequestHandler, path: Path, fault: str | None) -> None:
        size = path.stat().st_size
        start = 0
        ranged = h.headers.get("Range")
        if ranged and fault != "norange" and ranged.startswith("bytes="):
            start = int(ranged[6:].split("-", 1)[0] or 0)
            if start >= size:
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{size}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(size - start))
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        count = size - start
        if fault and fault.startswith("drop:"):
            count = int(count * float(fault[5:]))
        try:
            with path.open("rb") as handle:
                if fault == "slow":
                    self._send_slowly(h, handle, start, count)
                else:
                    sent = h.connection.sendfile(handle, start, count)
                    self._count(sent)
        except (BrokenPipeError, ConnectionResetError):
            return
        if fault and fault.startswith("drop:"):
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(2)

    def _send_slowly(self, h: BaseHTTPRequestHandler, handle: Any, start: int,
                     count: int) -> None:
        handle.seek(start)
        piece = max(1, count // 20)
        left = count
        while left > 0:
            data = handle.read(min(piece, left))
            h.wfile.write(data)
            self._count(len(data))
            left -= len(data)
            time.sleep(0.03)

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n
