"""The SSRF boundary for fetch_url: which URLs may be fetched, and a connection that goes only
to the address that was checked.

Rules: http and https only; no user info in the URL; the host must not be (or resolve to) a
loopback, private, link-local, multicast, reserved, unspecified or otherwise non-public
address, an IPv4-mapped IPv6 address (or another IPv6 form embedding a private IPv4 address);
IPv4 addresses only in their canonical dotted form (``2130706433``, ``0x7f.1``, ``017700000001``
and ``127.1`` are refused whatever they point at); no ``localhost`` names. Host names listed in
``allow_private_hosts`` may resolve to private addresses (everything else still applies).

A host is resolved once; :class:`PinnedBackend` (an httpcore network backend) then connects to
that checked address only, keeping the host name for the Host header and TLS (SNI and
certificate), so a DNS answer that changes between the check and the connect (rebinding)
changes nothing. Its streams also enforce the overall deadline on every socket operation.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from assistant.errors import ToolError, UnsafeURLError

MAX_URL_LENGTH = 4096
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_CANONICAL_OCTET = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_BAD_URL_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The system resolver; tests replace it at this boundary (no real DNS in tests).
_getaddrinfo = socket.getaddrinfo


def normalise_host(host: str) -> str:
    """Lower case, without trailing dots (``localhost.`` is ``localhost``) or IPv6 brackets."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be fetched from, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        embedded = None
        if ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            embedded = ip.teredo[1]
        elif ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and address_problem(embedded):
            return f"an IPv6 address embedding {embedded}"
        if ip.scope_id:
            return "an IPv6 address with a zone"
    for flag, label in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, flag):
            return f"{'an' if label[0] in 'aeiou' else 'a'} {label} address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if not ip.is_global:
        return "not a public address"
    return None


def _ip_literal(host: str) -> IPAddress | None:
    """The address when ``host`` is a canonical IP literal; UnsafeURLError for other numeric
    spellings; None for a name."""
    if ":" in host:  # IPv6 (httpx strips the brackets)
        if "%" in host:
            raise UnsafeURLError(f"refused {host!r}: IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeURLError(f"refused {host!r}: not a valid IPv6 address") from None
    labels = host.split(".")
    # As browsers do (WHATWG URL): a host whose last label is a number is an IPv4 address,
    # and only the four-decimal-octet form is accepted here.
    if labels and _NUMERIC_LABEL.match(labels[-1]):
        if len(labels) == 4 and all(
            _CANONICAL_OCTET.match(x) and int(x) <= 255 for x in labels
        ):
            return ipaddress.IPv4Address(host)
        raise UnsafeURLError(
            f"refused {host!r}: numeric host spellings other than a dotted IPv4 address "
            "are not allowed"
        )
    return None


def check_url(url: str, allow_private_hosts: Iterable[str] = ()) -> httpx.URL:
    """The parsed URL if its form is allowed (scheme, user info, host spelling, literal
    addresses); names are resolved and checked by :func:`resolve_checked`."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("no URL given")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURLError(f"URL is longer than {MAX_URL_LENGTH} characters")
    if _BAD_URL_CHARS.search(url):
        raise UnsafeURLError("refused: the URL contains spaces, backslashes or control characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UnsafeURLError(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "none"
        raise UnsafeURLError(f"refused scheme {shown!r}: only http and https URLs can be fetched")
    if parsed.userinfo or "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        raise UnsafeURLError("refused: URLs with a user name or password are not fetched")
    host = normalise_host(parsed.raw_host.decode("ascii"))
    if not host:
        raise UnsafeURLError("refused: the URL has no host")
    if parsed.port == 0:
        raise UnsafeURLError("refused: port 0")
    allowed = host in _allowed(allow_private_hosts)
    ip = _ip_literal(host)
    if allowed:
        return parsed
    if ip is not None:
        problem = address_problem(ip)
        if problem:
            raise UnsafeURLError(f"refused {host}: {problem}")
    elif host == "localhost" or host.endswith(".localhost") or host.startswith("localhost."):
        raise UnsafeURLError(f"refused {host}: a loopback name")
    return parsed


def _allowed(hosts: Iterable[str]) -> set[str]:
    return {normalise_host(h) for h in hosts if h and h.strip()}


def resolve_checked(
    url: httpx.URL, allow_private_hosts: Iterable[str] = (), timeout: float = 10.0
) -> str:
    """Resolve ``url``'s host once and return the address to connect to. Every address the
    name resolves to must pass (unless the host is allowed); the first one is used."""
    host = normalise_host(url.raw_host.decode("ascii"))
    literal = _ip_literal(host)
    if literal is not None:
        return str(literal)
    port = url.port or (443 if url.scheme == "https" else 80)
    infos = _resolve(host, port, timeout)
    addresses: list[IPAddress] = []
    for info in infos:
        if info[0] not in (socket.AF_INET, socket.AF_INET6):
            continue
        raw = str(info[4][0]).split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError:
            continue
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise ToolError(f"cannot resolve {host}: no addresses")
    if host not in _allowed(allow_private_hosts):
        for ip in addresses:
            problem = address_problem(ip)
            if problem:
                raise UnsafeURLError(f"refused {host}: it resolves to {ip}, {problem}")
    return str(addresses[0])


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """getaddrinfo with a time limit (the C resolver has none we control)."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["infos"] = _getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except BaseException as exc:  # passed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="fetch-dns", daemon=True).start()
    if not done.wait(max(0.01, timeout)):
        raise ToolError(f"looking up {host} took too long (no network or DNS?)")
    error = box.get("error")
    if isinstance(error, socket.gaierror):
        raise ToolError(f"cannot resolve {host} (unknown host, or no network)") from None
    if error is not None:
        raise ToolError(f"cannot resolve {host}: {error}") from None
    return list(box["infos"])


class Budget:
    """The overall deadline (monotonic seconds) and a cancel flag, applied to each socket
    operation: a server sending one byte a second still stops at the deadline."""

    def __init__(self, deadline: float, cancel: threading.Event | None = None) -> None:
        self.deadline = deadline
        self.cancel = cancel or threading.Event()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self, requested: float | None, error: type[Exception]) -> float:
        if self.cancel.is_set():
            raise error("cancelled")
        left = self.remaining()
        if left <= 0:
            raise error("deadline reached")
        return left if requested is None else min(requested, left)


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, budget: Budget) -> None:
        self._inner = inner
        self._budget = budget

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._budget.timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._budget.timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._budget.timeout(timeout, httpcore.ConnectTimeout)
        )
        return _GuardedStream(inner, self._budget)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects each host name only to the address pinned for it (after checking); refuses
    any host that was not pinned. TLS still uses the host name (httpcore passes it as the
    server name), and the Host header is the URL's."""

    def __init__(self, budget: Budget) -> None:
        self._inner = httpcore.SyncBackend()
        self._pins: dict[str, str] = {}
        self.budget = budget
        self.connected: list[tuple[str, str, int]] = []  # (host, address, port), for tests

    def pin(self, host: str, address: str) -> None:
        self._pins[normalise_host(host)] = address

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        address = self._pins.get(normalise_host(host))
        if address is None:
            raise httpcore.ConnectError(f"{host} was not checked; refusing to connect")
        stream = self._inner.connect_tcp(
            address,
            port,
            timeout=self.budget.timeout(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        self.connected.append((host, address, port))
        return _GuardedStream(stream, self.budget)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.lru_cache(maxsize=1)
def _default_ssl_context() -> Any:
    # Loading the CA bundle takes ~45 ms; one context serves every fetch (thread-safe).
    return httpx.create_ssl_context()


def _ssl_context() -> Any:
    """Certificate verification against the system's CAs (tests trust their own CA here)."""
    return _default_ssl_context()


def pinned_client(backend: PinnedBackend, timeout: float, headers: dict[str, str]) -> httpx.Client:
    """An httpx client whose connections all go through ``backend``: no proxies from the
    environment (a proxy would resolve names itself), no automatic redirects (each hop is
    checked by the caller), HTTP/1.1."""
    ssl_context = _ssl_context()
    transport = httpx.HTTPTransport(verify=ssl_context, trust_env=False, retries=0)
    transport._pool = httpcore.ConnectionPool(  # the one seam httpx offers for a backend
        ssl_context=ssl_context,
        max_connections=4,
        max_keepalive_connections=0,
        http1=True,
        http2=False,
        retries=0,
        network_backend=backend,
    )
    return httpx.Client(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout),
        headers=headers,
    )
