"""What fetch_url's guard and extraction cost, against a real local HTTP server serving an
article-like HTML page (no internet).

Measures, as medians over ``--runs``: a plain httpx GET of the page (a new client and
connection each time, as a fetch has, with a shared SSL context); the guarded download
alone (checks, pinned connection, capped decoding; ``fetch_url`` with the extraction replaced
by a no-op); the whole ``fetch`` (download + trafilatura to Markdown); a cache hit from the
SQLite tool cache; and the SSRF check of a URL on its own. Prints one JSON line.

Usage: python bench/fetch_bench.py [--runs 30] [--paragraphs 200]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _page(paragraphs: int) -> bytes:
    body = "".join(
        f"<p>Paragraph {i}: the campfire needs dry tinder, kindling laid in a teepee and "
        f"larger logs added slowly once it burns steadily. Keep water nearby.</p>\n"
        for i in range(paragraphs)
    )
    nav = "".join(f'<a href="/p{i}">link {i}</a> ' for i in range(50))
    return (
        "<!doctype html><html><head><title>Bench article</title></head><body>"
        f"<nav>{nav}</nav><article><h1>Bench article</h1>{body}</article>"
        "<footer>footer text</footer></body></html>"
    ).encode()


def _serve(page: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--paragraphs", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        os.environ["FIRESIDE_HOME"] = home
        import httpx

        from assistant.config import load_settings
        from assistant.store import open_store
        from assistant.tools import fetch_url, netguard

        page = _page(args.paragraphs)
        server = _serve(page)
        url = f"http://127.0.0.1:{server.server_address[1]}/article"
        settings = load_settings(tools={"allow_private_hosts": ["127.0.0.1"]})
        store = open_store()

        def fetch() -> Any:
            return fetch_url.fetch(url, settings, use_cache=False)

        fetch()  # warm up (imports trafilatura)
        ssl_context = httpx.create_ssl_context()

        def plain_get() -> bytes:
            # the same shape as a fetch: a new client and connection, a shared SSL context
            with httpx.Client(verify=ssl_context, trust_env=False) as client:
                return client.get(url).content

        plain = _median_ms(plain_get, args.runs)
        full = _median_ms(fetch, args.runs)
        real_to_text = fetch_url.to_text
        fetch_url.to_text = lambda body, ct, u: (None, "")  # type: ignore[assignment]
        try:
            download = _median_ms(fetch, args.runs)
        finally:
            fetch_url.to_text = real_to_text  # type: ignore[assignment]
        fetch_url.fetch(url, settings, store)
        cached = _median_ms(lambda: fetch_url.fetch(url, settings, store), args.runs)
        check_us = round(
            _median_ms(lambda: [netguard.check_url("https://example.com/a?b=1")
                                for _ in range(100)], args.runs) * 10, 2
        )
        result = fetch()
        store.close()
        server.shutdown()
    print(
        json.dumps(
            {
                "bench": "fetch_url",
                "page_bytes": len(page),
                "markdown_chars": len(result.text),
                "runs": args.runs,
                "httpx_get_ms": plain,
                "guarded_download_ms": download,
                "guard_overhead_ms": round(download - plain, 2),
                "fetch_with_markdown_ms": full,
                "extract_ms": round(full - download, 2),
                "cache_hit_ms": cached,
                "check_url_us": check_us,
            }
        )
    )


if __name__ == "__main__":
    main()
