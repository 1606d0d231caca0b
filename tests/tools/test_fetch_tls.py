"""HTTPS through the pin: the connection goes to the checked address while TLS (SNI and the
certificate check) and the Host header use the name. A throwaway CA signs a certificate for
``pinned.test``; a real TLS server on 127.0.0.1 records the SNI it was asked for."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ToolError
from assistant.tools import netguard
from assistant.tools.fetch_url import fetch
from tests.tools.servers import Server, reply
from tests.tools.test_netguard import FakeDNS

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _cert(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: object, ca: bool,
    san: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, list[str]]]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fireside test CA")])
    ca = _cert("Fireside test CA", ca_key, ca_name, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("pinned.test", leaf_key, ca_name, ca_key, ca=False, san="pinned.test")
    cert_file = tmp_path / "leaf.pem"
    key_file = tmp_path / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = Server()
    server.routes["/secure"] = lambda h: reply(h, "over tls", content_type="text/plain")
    sni: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda _sock, name, _ctx: sni.append(str(name))
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)

    client = ssl.create_default_context()
    client.load_verify_locations(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    monkeypatch.setattr(netguard, "_ssl_context", lambda: client)
    dns = FakeDNS({"pinned.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    monkeypatch.setattr(netguard, "_getaddrinfo", dns)
    yield server, sni
    server.close()


def test_https_goes_to_the_pinned_address_with_the_name(tls: tuple[Server, list[str]]) -> None:
    server, sni = tls
    settings = load_settings(tools={"allow_private_hosts": ["pinned.test"]})
    result = fetch(f"https://pinned.test:{server.port}/secure", settings)
    assert result.text == "over tls"
    assert sni == ["pinned.test"]
    assert server.requests[0]["headers"]["Host"] == f"pinned.test:{server.port}"


def test_certificate_for_another_name_fails(tls: tuple[Server, list[str]]) -> None:
    server, sni = tls
    settings = load_settings(tools={"allow_private_hosts": ["other.test"]})
    with pytest.raises(ToolError, match="cannot connect.*certificate"):
        fetch(f"https://other.test:{server.port}/secure", settings)
    assert sni == ["other.test"] and server.requests == []
