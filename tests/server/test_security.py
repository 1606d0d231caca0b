"""The API's front door, rule by rule, with the exact status, against a real uvicorn server
(a scripted model: these tests are about HTTP, not generation)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.server.conftest import ALLOWED_ORIGIN, LiveServer, start_server
from tests.support.scripted import ScriptedProvider

pytestmark = pytest.mark.slow

CHAT = {"model": "fireside", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    provider = ScriptedProvider(["Hello from the scripted model."])
    background, server, mp = start_server(
        tmp_path_factory.mktemp("api-security"), provider, max_body_bytes=2048
    )
    yield server
    background.stop()
    server.store.close()
    mp.undo()


def _bare(live: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=30)


# -- auth -------------------------------------------------------------------------------------


def test_health_needs_no_token_and_shows_no_secret(live: LiveServer) -> None:
    with _bare(live) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["model"]["name"] == "scripted"
    assert live.token not in response.text and str(live.home) not in response.text


@pytest.mark.parametrize("path", ["/v1/models", "/api/v1/sessions", "/api/v1/sessions/x",
                                  "/openapi.json", "/nowhere"])
def test_everything_else_needs_the_token(live: LiveServer, path: str) -> None:
    with _bare(live) as client:
        response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="fireside"'
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("value", ["Bearer wrong-token", "Basic abc", "Bearer", "Token abc"])
def test_a_wrong_or_malformed_authorization_is_401(live: LiveServer, value: str) -> None:
    with _bare(live) as client:
        assert client.get("/v1/models", headers={"Authorization": value}).status_code == 401
        assert client.post("/v1/chat/completions", json=CHAT,
                           headers={"Authorization": value}).status_code == 401


def test_the_token_works_case_insensitive_scheme(live: LiveServer) -> None:
    with _bare(live) as client:
        ok = client.get("/v1/models", headers={"Authorization": f"bearer {live.token}"})
    assert ok.status_code == 200


def test_a_rotated_token_takes_effect_without_restart(live: LiveServer) -> None:
    from assistant.server.token import write_token

    old = live.token
    new = write_token(live.ctx.token.path)
    try:
        with _bare(live) as client:
            assert client.get("/v1/models",
                              headers={"Authorization": f"Bearer {old}"}).status_code == 401
            assert client.get("/v1/models",
                              headers={"Authorization": f"Bearer {new}"}).status_code == 200
    finally:
        live.ctx.token.path.write_text(old + "\n")
        live.ctx.token.path.chmod(0o600)
    assert live.ctx.token() == old


# -- Host -------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "evil.localhost", "localhost",
                                  "127.0.0.1", "127.0.0.1:1", "localhost.:{port}",
                                  "127.0.0.2:{port}", "0.0.0.0:{port}", "[::2]:{port}", ""])
def test_a_foreign_host_header_is_421(live: LiveServer, host: str) -> None:
    with live.client() as client:
        response = client.get("/v1/models", headers={"Host": host.format(port=live.port)})
        health = client.get("/api/v1/health", headers={"Host": host.format(port=live.port)})
    assert response.status_code == 421
    assert health.status_code == 421  # even the public endpoint
    assert response.json()["error"]["code"] == "misdirected_request"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}",
                                  "[::1]:{port}"])
def test_loopback_host_headers_are_accepted(live: LiveServer, host: str) -> None:
    with live.client() as client:
        response = client.get("/v1/models", headers={"Host": host.format(port=live.port)})
    assert response.status_code == 200


# -- Origin and CORS -------------------------------------------------------------------------


def test_a_foreign_origin_is_403_and_gets_no_cors(live: LiveServer) -> None:
    with live.client() as client:
        response = client.get("/v1/models", headers={"Origin": "http://evil.example"})
        health = client.get("/api/v1/health", headers={"Origin": "null"})
        preflight = client.options("/v1/chat/completions", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 403 and health.status_code == 403
    assert preflight.status_code == 403
    for r in (response, health, preflight):
        assert "access-control-allow-origin" not in r.headers
    assert response.json()["error"]["code"] == "origin_not_allowed"


def test_an_allowed_origin_gets_its_own_origin_back_never_a_wildcard(live: LiveServer) -> None:
    with live.client() as client:
        response = client.get("/v1/models", headers={"Origin": ALLOWED_ORIGIN})
        preflight = client.options("/v1/chat/completions", headers={
            "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["vary"] == "Origin"
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    for r in (response, preflight):
        assert "access-control-allow-credentials" not in r.headers


def test_no_origin_header_means_no_cors_headers(live: LiveServer) -> None:
    with live.client() as client:
        response = client.get("/v1/models")
    assert "access-control-allow-origin" not in response.headers


# -- bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", None])
def test_post_bodies_must_be_json(live: LiveServer, ctype: str | None) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    with live.client() as client:
        response = client.post("/v1/chat/completions", content=json.dumps(CHAT),
                               headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_json_with_a_charset_is_fine(live: LiveServer) -> None:
    with live.client() as client:
        response = client.post("/v1/chat/completions", content=json.dumps(CHAT),
                               headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_a_body_past_the_limit_is_413(live: LiveServer) -> None:
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * 5000}]}
    with live.client() as client:
        response = client.post("/v1/chat/completions", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_chunked_body_past_the_limit_is_413_while_reading(live: LiveServer) -> None:
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(200):  # far more than the 2 KiB limit, no Content-Length
            sent.append(1)
            yield b'{"pad": "' + b"x" * 1000 + b'", '

    with live.client() as client:
        response = client.post("/v1/chat/completions", content=chunks(),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_body_within_the_limit_sent_chunked_is_read(live: LiveServer) -> None:
    data = json.dumps(CHAT).encode()

    def chunks() -> Iterator[bytes]:
        yield data[:10]
        yield data[10:]

    with live.client() as client:
        response = client.post("/v1/chat/completions", content=chunks(),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("body, message", [
    (b'{"model": "fireside",', "not valid JSON"),
    (b"", "empty"),
    (b"[1, 2]", "must be a JSON object"),
    (b"\xff\xfe", "UTF-8"),
])
def test_malformed_json_is_422_with_a_clear_message(
    live: LiveServer, body: bytes, message: str
) -> None:
    with live.client() as client:
        response = client.post("/v1/chat/completions", content=body,
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_a_missing_field_is_422_naming_it(live: LiveServer) -> None:
    with live.client() as client:
        response = client.post("/v1/chat/completions", json={"model": "fireside"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["param"] == "messages" and "messages" in error["message"]


def test_unknown_model_is_404_in_openais_shape(live: LiveServer) -> None:
    with live.client() as client:
        response = client.post("/v1/chat/completions", json={**CHAT, "model": "gpt-4o"})
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.json()["error"]["code"] == "model_not_found"


def test_openapi_is_off_by_default(live: LiveServer) -> None:
    with live.client() as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/docs").status_code == 404


def test_unknown_paths_and_methods_use_the_error_shape(live: LiveServer) -> None:
    with live.client() as client:
        missing = client.get("/v2/things")
        wrong = client.get("/v1/chat/completions")
    assert missing.status_code == 404 and "error" in missing.json()
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_openapi_when_enabled_still_needs_the_token(tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    background, server, mp = start_server(tmp_path_factory.mktemp("api-openapi"),
                                          ScriptedProvider(), openapi=True)
    try:
        with _bare(server) as client:
            assert client.get("/openapi.json").status_code == 401
        with server.client() as client:
            doc = client.get("/openapi.json")
            assert doc.status_code == 200
            assert "/v1/chat/completions" in doc.json()["paths"]
            assert client.get("/docs").status_code == 200
    finally:
        background.stop()
        server.store.close()
        mp.undo()
