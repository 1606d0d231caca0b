"""The SSRF rules as a table: every refused spelling, and the allowed ones. Name resolution is
replaced at the resolver boundary (no DNS in tests)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from assistant.errors import ToolError, UnsafeURLError
from assistant.tools import netguard

REFUSED = [
    # schemes
    "ftp://example.com/file",
    "file:///etc/passwd",
    "gopher://example.com/",
    "javascript:alert(1)",
    "data:text/html,hello",
    "example.com/no-scheme",
    # loopback in every spelling
    "http://127.0.0.1/",
    "http://127.0.0.1./",
    "http://127.1/",
    "http://127.0.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0x7F.0x0.0x0.0x1/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:8080/",
    "http://api.localhost/",
    "http://localhost.localdomain/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",
    # unspecified
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    # private, shared, link-local (cloud metadata), multicast, reserved, broadcast
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    # IPv6 forms that embed a private IPv4 address
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
    # user info tricks
    "http://user:pass@example.com/",
    "http://example.com@127.0.0.1/",
    "http://127.0.0.1@example.com/",
    "http://user@example.com/",
    "http://example.com\\@127.0.0.1/",
    "http://example.com?@127.0.0.1/",
    # malformed
    "http://exa mple.com/",
    "http:///path-only",
    "http://example.com:0/",
    "",
    "   ",
]

ALLOWED = [
    "http://example.com/",
    "https://example.com:8443/path?q=1#frag",
    "HTTPS://Example.COM/",
    "http://93.184.216.34/",
    "http://1.1.1.1/dns",
    "http://[2606:2800:220:1:248:1893:25c8:1946]/",
    "http://bücher.de/",
    "https://docs.python.org/3/library/ipaddress.html",
    "http://example.com./",
    "http://10.example.com/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        netguard.check_url(url)


@pytest.mark.parametrize("url", ALLOWED)
def test_allowed(url: str) -> None:
    assert netguard.check_url(url).scheme in ("http", "https")


def test_messages_say_why() -> None:
    with pytest.raises(UnsafeURLError, match="only http and https"):
        netguard.check_url("file:///etc/passwd")
    with pytest.raises(UnsafeURLError, match="numeric host spellings"):
        netguard.check_url("http://2130706433/")
    with pytest.raises(UnsafeURLError, match="loopback"):
        netguard.check_url("http://127.0.0.1/")
    with pytest.raises(UnsafeURLError, match="IPv4-mapped"):
        netguard.check_url("http://[::ffff:127.0.0.1]/")
    with pytest.raises(UnsafeURLError, match="link-local"):
        netguard.check_url("http://169.254.169.254/")
    with pytest.raises(UnsafeURLError, match="user name or password"):
        netguard.check_url("http://a:b@example.com/")


def test_allow_private_hosts_lets_named_hosts_through() -> None:
    assert netguard.check_url("http://127.0.0.1:8000/x", ["127.0.0.1"]).port == 8000
    assert netguard.check_url("http://localhost./", ["LOCALHOST"]).host == "localhost."
    assert netguard.check_url("http://intranet.corp/", ["intranet.corp."])
    assert netguard.check_url("http://[::1]:8080/", ["[::1]"])
    # ...but only the named host, and never a numeric spelling of it
    for url in ("http://127.0.0.2/", "http://2130706433/", "http://127.1/", "http://[::1]/"):
        with pytest.raises(UnsafeURLError):
            netguard.check_url(url, ["127.0.0.1"])
    with pytest.raises(UnsafeURLError):
        netguard.check_url("ftp://127.0.0.1/", ["127.0.0.1"])


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "::1", "::ffff:192.168.0.1", "fe80::1", "0.0.0.0", "224.1.1.1",
     "2002:a00:1::", "64:ff9b::a00:1", "2001:0:4136:e378:8000:63bf:f5ff:fffe"],
)
def test_address_problems(address: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) is None


class FakeDNS:
    """Answers for host names; records every lookup."""

    def __init__(self, answers: dict[str, list[str] | Exception]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: Any, *_args: Any) -> list[Any]:
        self.lookups.append(host)
        answer = self.answers[host]
        if isinstance(answer, Exception):
            raise answer
        out = []
        for addr in answer:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr = (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS({})
    monkeypatch.setattr(netguard, "_getaddrinfo", fake)
    return fake


def test_names_resolving_to_private_addresses_are_refused(dns: FakeDNS) -> None:
    dns.answers.update(
        {
            "public.test": ["93.184.216.34"],
            "evil.test": ["10.0.0.5"],
            "mixed.test": ["93.184.216.34", "127.0.0.1"],
            "mapped.test": ["::ffff:127.0.0.1"],
            "intranet.test": ["192.168.0.10"],
        }
    )
    assert netguard.resolve_checked(netguard.check_url("http://public.test/")) == "93.184.216.34"
    for host in ("evil.test", "mixed.test", "mapped.test", "intranet.test"):
        with pytest.raises(UnsafeURLError, match="resolves to"):
            netguard.resolve_checked(netguard.check_url(f"http://{host}/"))
    allowed = netguard.check_url("http://intranet.test/", ["intranet.test"])
    assert netguard.resolve_checked(allowed, ["intranet.test"]) == "192.168.0.10"


def test_literal_addresses_are_not_looked_up(dns: FakeDNS) -> None:
    assert netguard.resolve_checked(netguard.check_url("http://93.184.216.34/")) == "93.184.216.34"
    assert dns.lookups == []


def test_dns_failure_is_a_tool_error(dns: FakeDNS) -> None:
    dns.answers["nowhere.test"] = socket.gaierror(-3, "Temporary failure in name resolution")
    with pytest.raises(ToolError, match="cannot resolve nowhere.test"):
        netguard.resolve_checked(netguard.check_url("http://nowhere.test/"))
