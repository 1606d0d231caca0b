"""fetch_url against real local HTTP servers: redirects (counted, re-checked, cross-origin
header dropping), a redirect to a private address, a gzip bomb, a server dripping bytes, a
server that never answers, content types, the size cap, the cache, and the DNS pin."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ToolError, UnsafeURLError
from assistant.store import Store
from assistant.tools import netguard
from assistant.tools.base import ToolContext
from assistant.tools.fetch_url import TOOL as FETCH_TOOL
from assistant.tools.fetch_url import fetch
from assistant.tools.registry import Registry
from providers.base import ToolCall
from tests.tools.servers import Server, redirect, reply
from tests.tools.test_netguard import FakeDNS

ARTICLE = """<!doctype html><html><head><title>Campfire notes</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>How to build a campfire</h1>
<p>Start with a small bundle of dry tinder. Dry grass, birch bark and wood shavings work well,
and they catch a spark easily even when the air is cold.</p>
<p>Add kindling in a teepee shape over the tinder, leaving gaps so that air can flow into the
fire. Light the tinder from the side the wind comes from.</p>
<h2>Keeping it going</h2>
<p>Feed larger logs gradually once the kindling burns steadily. Never leave a fire unattended
and always drown it with water before you leave the site.</p>
</article><footer>Copyright nobody</footer></body></html>"""


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def other() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def allowing(**tools: Any) -> Settings:
    return load_settings(tools={"allow_private_hosts": ["127.0.0.1"], **tools})


@pytest.fixture
def local() -> Settings:
    return allowing()


def test_html_becomes_markdown_with_title(server: Server, local: Settings) -> None:
    server.routes["/a"] = lambda h: reply(h, ARTICLE)
    result = fetch(server.url("/a"), local)
    assert result.title in ("Campfire notes", "How to build a campfire")
    assert result.content_type == "text/html" and result.status == 200
    assert "dry tinder" in result.text and "teepee" in result.text
    assert "Keeping it going" in result.text
    assert "Copyright nobody" not in result.text  # boilerplate dropped
    assert result.final_url == server.url("/a") and not result.truncated
    assert server.requests[0]["headers"]["Host"] == f"127.0.0.1:{server.port}"


def test_json_xml_and_text(server: Server, local: Settings) -> None:
    server.routes["/j"] = lambda h: reply(h, '{"b":[1,2],"a":"é"}', content_type="application/json")
    server.routes["/x"] = lambda h: reply(
        h, "<feed><t>hi</t></feed>", content_type="application/atom+xml"
    )
    server.routes["/t"] = lambda h: reply(h, "  plain words \n", content_type="text/plain")
    assert fetch(server.url("/j"), local).text == json.dumps({"b": [1, 2], "a": "é"}, indent=2,
                                                              ensure_ascii=False)
    assert "<t>hi</t>" in fetch(server.url("/x"), local).text
    assert fetch(server.url("/t"), local).text == "plain words"


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "application/octet-stream", "image/png", None]
)
def test_other_content_types_are_refused(
    server: Server, local: Settings, content_type: str | None
) -> None:
    server.routes["/f"] = lambda h: reply(h, b"%PDF-1.7\x00\x01binary", content_type=content_type)
    with pytest.raises(ToolError, match="reads only HTML, plain text, JSON and XML"):
        fetch(server.url("/f"), local)


def test_invalid_utf8_is_replaced_not_fatal(server: Server, local: Settings) -> None:
    server.routes["/bad"] = lambda h: reply(h, b"caf\xe9 \xff\xfe ok", content_type="text/plain")
    assert fetch(server.url("/bad"), local).text == "caf\ufffd \ufffd\ufffd ok"


def test_latin1_charset_is_honoured(server: Server, local: Settings) -> None:
    server.routes["/l"] = lambda h: reply(
        h, "café".encode("latin-1"), content_type="text/plain; charset=ISO-8859-1"
    )
    assert fetch(server.url("/l"), local).text == "café"


def test_http_errors(server: Server, local: Settings) -> None:
    with pytest.raises(ToolError, match="HTTP 404"):
        fetch(server.url("/missing"), local)


def test_loopback_refused_by_default_and_server_never_asked(
    server: Server, settings: Settings
) -> None:
    server.routes["/a"] = lambda h: reply(h, ARTICLE)
    with pytest.raises(UnsafeURLError, match="loopback"):
        fetch(server.url("/a"), settings)
    assert server.requests == []


# -- redirects --------------------------------------------------------------------------


def test_redirects_are_followed(server: Server, local: Settings) -> None:
    server.routes["/1"] = redirect("/2", 301)
    server.routes["/2"] = redirect(server.url("/3"), 307)
    server.routes["/3"] = lambda h: reply(h, "arrived", content_type="text/plain")
    result = fetch(server.url("/1"), local)
    assert result.text == "arrived" and result.final_url == server.url("/3")
    assert result.url == server.url("/1")


def test_at_most_five_redirects(server: Server, local: Settings) -> None:
    for i in range(7):
        server.routes[f"/{i}"] = redirect(f"/{i + 1}")
    server.routes["/7"] = lambda h: reply(h, "end", content_type="text/plain")
    server.routes["/ok0"] = redirect("/3")  # 5 redirects: /ok0 -> /3 -> ... -> /7
    assert fetch(server.url("/ok0"), local).text == "end"
    with pytest.raises(ToolError, match="too many redirects"):
        fetch(server.url("/0"), local)  # 7 redirects
    assert [r["path"] for r in server.requests][-6:] == ["/0", "/1", "/2", "/3", "/4", "/5"]


def test_redirect_loop_stops(server: Server, local: Settings) -> None:
    server.routes["/loop"] = redirect("/loop")
    with pytest.raises(ToolError, match="too many redirects"):
        fetch(server.url("/loop"), local)
    assert len(server.requests) == 6


def test_redirect_to_an_unlisted_loopback_address_is_refused(local: Settings) -> None:
    inner = Server(host="127.0.0.2")
    outer = Server()
    try:
        inner.routes["/secret"] = lambda h: reply(h, "secret", content_type="text/plain")
        outer.routes["/go"] = redirect(inner.url("/secret"))
        with pytest.raises(UnsafeURLError, match="refused 127.0.0.2"):
            fetch(outer.url("/go"), local)
        assert inner.requests == []
        assert len(outer.requests) == 1
    finally:
        inner.close()
        outer.close()


@pytest.mark.parametrize(
    "location",
    ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/", "http://2130706433/",
     "http://localhost:9/", "http://[::ffff:127.0.0.1]/", "file:///etc/passwd",
     "http://user:pw@example.com/"],
)
def test_redirects_to_private_targets_are_refused(
    server: Server, local: Settings, location: str
) -> None:
    server.routes["/go"] = redirect(location)
    with pytest.raises(UnsafeURLError):
        fetch(server.url("/go"), local)


def test_cross_origin_redirect_drops_credentials(
    server: Server, other: Server, local: Settings
) -> None:
    server.routes["/same"] = redirect("/landing")
    server.routes["/landing"] = lambda h: reply(h, "same", content_type="text/plain")
    server.routes["/away"] = redirect(other.url("/landing"))
    other.routes["/landing"] = lambda h: reply(h, "other", content_type="text/plain")
    creds = {"Authorization": "Bearer s3cret", "Cookie": "session=abc"}

    assert fetch(server.url("/same"), local, headers=creds).text == "same"
    landing = server.requests[-1]["headers"]
    assert landing.get("Authorization") == "Bearer s3cret"
    assert landing.get("Cookie") == "session=abc"

    assert fetch(server.url("/away"), local, headers=creds).text == "other"
    assert server.requests[-1]["headers"].get("Authorization") == "Bearer s3cret"
    crossed = other.requests[-1]["headers"]
    assert "Authorization" not in crossed and "Cookie" not in crossed


def test_cookies_set_by_one_origin_do_not_follow_to_another(
    server: Server, other: Server, local: Settings
) -> None:
    server.routes["/set"] = lambda h: reply(
        h, "", 302, None, {"Location": other.url("/x"), "Set-Cookie": "sid=1; Path=/"}
    )
    other.routes["/x"] = lambda h: reply(h, "x", content_type="text/plain")
    fetch(server.url("/set"), local)
    assert "Cookie" not in other.requests[-1]["headers"]


# -- size and time ----------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_cap(server: Server) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # ~64 KB on the wire
    server.routes["/bomb"] = lambda h: reply(
        h, bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"}
    )
    result = fetch(server.url("/bomb"), allowing(fetch_max_bytes=100_000))
    assert result.truncated and result.bytes_read == 100_000
    assert len(bomb) < 200_000


def test_gzip_and_deflate_bodies_are_decoded(server: Server, local: Settings) -> None:
    import zlib

    server.routes["/gz"] = lambda h: reply(
        h, gzip.compress(b"zipped text"), content_type="text/plain",
        headers={"Content-Encoding": "gzip"},
    )
    server.routes["/df"] = lambda h: reply(
        h, zlib.compress(b"deflated text"), content_type="text/plain",
        headers={"Content-Encoding": "deflate"},
    )
    server.routes["/br"] = lambda h: reply(
        h, b"xx", content_type="text/plain", headers={"Content-Encoding": "br"}
    )
    assert fetch(server.url("/gz"), local).text == "zipped text"
    assert fetch(server.url("/df"), local).text == "deflated text"
    with pytest.raises(ToolError, match="unsupported content encoding"):
        fetch(server.url("/br"), local)


def test_large_body_is_cut_at_the_cap(server: Server) -> None:
    big = ("word " * 1_000_000).encode()  # 5 MB
    server.routes["/big"] = lambda h: reply(h, big, content_type="text/plain")
    result = fetch(server.url("/big"), allowing(fetch_max_bytes=50_000))
    assert result.truncated and result.bytes_read == 50_000
    assert "cut at 50000 bytes" in result.for_model()
    smaller = fetch(server.url("/big"), allowing(), max_bytes=2048, use_cache=False)
    assert smaller.bytes_read == 2048


def _forever(handler: BaseHTTPRequestHandler) -> None:
    """Chunked text, as fast as it goes, until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"all work and no play " * 500
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    try:
        while sent < 2_000_000_000:
            handler.wfile.write(frame)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def test_an_endless_stream_stops_at_the_cap(server: Server) -> None:
    server.routes["/forever"] = _forever
    result = fetch(server.url("/forever"), allowing(fetch_max_bytes=300_000, fetch_timeout=30))
    assert result.truncated and result.bytes_read == 300_000
    assert result.text.startswith("all work and no play")


def _drip(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", "10000")
    handler.end_headers()
    try:
        for _ in range(200):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_a_dripping_server_is_cut_off_at_the_deadline(server: Server) -> None:
    server.routes["/drip"] = _drip
    started = time.monotonic()
    with pytest.raises(ToolError, match="took longer than 1 s"):
        fetch(server.url("/drip"), allowing(fetch_timeout=1.0))
    # each byte arrives well within any socket timeout; only the overall deadline stops it
    assert time.monotonic() - started < 10


def test_a_server_that_never_answers_is_cut_off(local: Settings) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(ToolError, match="took longer"):
            fetch(f"http://127.0.0.1:{port}/", allowing(fetch_timeout=0.5))
    finally:
        listener.close()


def test_cancel_stops_a_fetch(server: Server) -> None:
    server.routes["/drip"] = _drip
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(ToolError, match="cancelled"):
        fetch(server.url("/drip"), allowing(fetch_timeout=30), cancel=cancel)


def test_connection_refused_is_one_line(local: Settings) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ToolError, match="cannot connect") as info:
        fetch(f"http://127.0.0.1:{port}/", local)
    assert "\n" not in str(info.value)


# -- cache ------------------------------------------------------------------------------


def test_second_fetch_comes_from_the_cache(server: Server, local: Settings, store: Store) -> None:
    server.routes["/c"] = lambda h: reply(h, ARTICLE)
    first = fetch(server.url("/c"), local, store)
    second = fetch(server.url("/c"), local, store)
    assert len(server.requests) == 1
    assert not first.cached and second.cached
    assert second.text == first.text and second.title == first.title
    fetch(server.url("/c"), local, store, use_cache=False)
    assert len(server.requests) == 2


def test_cache_disabled_with_zero_ttl(server: Server, store: Store) -> None:
    server.routes["/c"] = lambda h: reply(h, "t", content_type="text/plain")
    settings = allowing(fetch_cache_seconds=0)
    fetch(server.url("/c"), settings, store)
    fetch(server.url("/c"), settings, store)
    assert len(server.requests) == 2


def test_refused_urls_never_reach_the_cache(store: Store, settings: Settings) -> None:
    store.cache_put(f"fetch:{settings.tools.fetch_max_bytes}:http://127.0.0.1/", "fetch",
                    "{}", 60)
    with pytest.raises(UnsafeURLError):
        fetch("http://127.0.0.1/", settings, store)


# -- the DNS pin ------------------------------------------------------------------------


def test_connection_goes_to_the_checked_address(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once; a different answer afterwards (rebinding) is never used,
    and the server still sees the name in the Host header."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    lookups: list[str] = []

    def rebinding_dns(host: str, port: Any, *args: Any) -> list[Any]:
        lookups.append(host)
        return FakeDNS({host: next(answers)})(host, port)

    monkeypatch.setattr(netguard, "_getaddrinfo", rebinding_dns)
    server.routes["/p"] = lambda h: reply(h, "pinned", content_type="text/plain")
    settings = load_settings(tools={"allow_private_hosts": ["pinned.test"]})
    result = fetch(f"http://pinned.test:{server.port}/p", settings)
    assert result.text == "pinned"
    assert lookups == ["pinned.test"]
    assert server.requests[0]["headers"]["Host"] == f"pinned.test:{server.port}"


def test_redirect_to_a_name_resolving_privately_is_refused(
    server: Server, local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(netguard, "_getaddrinfo", FakeDNS({"rebind.test": ["127.0.0.1"]}))
    server.routes["/go"] = redirect(f"http://rebind.test:{server.port}/inside")
    with pytest.raises(UnsafeURLError, match="rebind.test: it resolves to 127.0.0.1"):
        fetch(server.url("/go"), local)
    assert [r["path"] for r in server.requests] == ["/go"]


def test_backend_refuses_hosts_that_were_not_checked() -> None:
    backend = netguard.PinnedBackend(netguard.Budget(time.monotonic() + 5))
    import httpcore

    with pytest.raises(httpcore.ConnectError, match="not checked"):
        backend.connect_tcp("example.com", 80)


# -- as a tool --------------------------------------------------------------------------


def test_fetch_url_tool_through_the_registry(server: Server, store: Store) -> None:
    settings = allowing(result_tokens=64)
    server.routes["/a"] = lambda h: reply(h, ARTICLE)
    registry = Registry(settings)
    registry.register(FETCH_TOOL)
    ctx = ToolContext(settings=settings, store=store)
    refused = registry.run(ToolCall("c0", "fetch_url", {"url": server.url("/a")}), ctx)
    assert not refused.ok and "approval" in refused.content  # the model's call asks first
    event = registry.run(ToolCall("c1", "fetch_url", {"url": server.url("/a")}), ctx,
                         approve=lambda _t, _a: True)
    assert event.ok and event.truncated
    assert event.content.startswith("# How to build a campfire\nSource: http://127.0.0.1:")
    assert event.content.count("How to build a campfire") == 1
    refused = registry.run(ToolCall("c2", "fetch_url", {"url": "http://10.0.0.1/"}), ctx,
                           approve=lambda _t, _a: True)
    assert not refused.ok and refused.content == "refused 10.0.0.1: a private address"
    missing = registry.run(ToolCall("c3", "fetch_url", {"link": "x"}), ctx)
    assert not missing.ok and "url: Field required" in missing.content


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (b"<p>just a fragment", "just a fragment"),
        (b"<div>a<script>steal()</script>\n<b>b</b></div>", "a\nb"),
        (b"", ""),
        (b"\x00\x01<p>text\x07</p>", "text"),
    ],
)
def test_html_fragments_and_junk(html: bytes, expected: str) -> None:
    from assistant.tools.fetch_url import to_text

    assert to_text(html, "text/html", "http://example.com/")[1] == expected


@pytest.mark.parametrize(
    "head",
    [b'<meta charset="windows-1252">',
     b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'],
)
def test_meta_charset_is_used_when_the_header_has_none(head: bytes) -> None:
    from assistant.tools.fetch_url import to_text

    page = b"<html><head>" + head + b"</head><body><p>Caf\xe9 cr\xe8me</p></body></html>"
    assert to_text(page, "text/html", "http://example.com/")[1] == "Café crème"
