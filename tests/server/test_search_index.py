"""/api/v1/index and /api/v1/search on a real project folder, through a real uvicorn server
(the real indexer: SQLite FTS5; embeddings off to keep the test fast)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import LiveServer, start_server
from tests.support.scripted import ScriptedProvider

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    background, server, mp = start_server(tmp_path_factory.mktemp("api-index"),
                                          ScriptedProvider())
    yield server
    background.stop()
    server.store.close()
    mp.undo()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "pkg" / "auth.py").write_text(
        "def check_bearer_token(header: str, expected: str) -> bool:\n"
        "    \"\"\"Compare the bearer token in constant time.\"\"\"\n"
        "    import hmac\n"
        "    return hmac.compare_digest(header.removeprefix('Bearer '), expected)\n")
    (root / "pkg" / "colours.py").write_text("PALETTE = ['red', 'green', 'blue']\n")
    (root / ".env").write_text("SECRET_KEY=hunter2\n")
    return root


def _wait_job(http, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"/api/v1/index/{job_id}").json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_index_then_search_a_project(live: LiveServer, project: Path) -> None:
    with live.client() as http:
        before = http.post("/api/v1/search", json={"query": "bearer", "path": str(project)})
        assert before.status_code == 404
        assert before.json()["error"]["code"] == "not_indexed"
        started = http.post("/api/v1/index", json={"path": str(project), "embed": False})
        assert started.status_code == 202
        job = started.json()
        assert job["state"] in ("running", "done") and job["path"] == str(project.resolve())
        done = _wait_job(http, job["job_id"])
        assert done["state"] == "done", done
        assert done["summary"]["files"] == 2  # .env is never indexed
        assert done["finished_at"]
        hits = http.post("/api/v1/search", json={
            "query": "bearer token", "k": 5, "mode": "lexical", "path": str(project)})
        assert hits.status_code == 200
        body = hits.json()
        assert body[0]["path"] == "pkg/auth.py"
        assert set(body[0]) == {"path", "start_line", "end_line", "score", "snippet"}
        assert body[0]["start_line"] == 1
        files = http.post("/api/v1/search", json={
            "query": "bearer token", "k": 5, "mode": "lexical", "path": str(project),
            "files": True}).json()
        assert files[0]["path"] == "pkg/auth.py" and set(files[0]) == {"path", "score", "chunks"}
        assert files[0]["chunks"][0]["start_line"] == 1
        globbed = http.post("/api/v1/search", json={
            "query": "red", "mode": "lexical", "path": str(project), "path_glob": "pkg/auth*"})
        assert globbed.json() == []
        secret = http.post("/api/v1/search", json={
            "query": "hunter2", "mode": "lexical", "path": str(project)})
        assert secret.json() == []


def test_index_progress_streams_until_the_end(live: LiveServer, project: Path) -> None:
    with live.client() as http:
        job = http.post("/api/v1/index", json={"path": str(project), "embed": False}).json()
        with http.stream("GET", f"/api/v1/index/{job['job_id']}/events") as response:
            assert response.status_code == 200
            events = [json.loads(line[6:]) for line in response.iter_lines()
                      if line.startswith("data: ")]
    assert events[-1]["type"] == "end" and events[-1]["state"] == "done"
    assert all(e["type"] == "progress" for e in events[:-1])


def test_health_shows_the_servers_project_index_without_paths(
    live: LiveServer, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    with live.client() as http:
        assert http.get("/api/v1/health").json()["index"] is None
        job = http.post("/api/v1/index", json={"embed": False}).json()  # the server's folder
        assert job["path"] == str(project.resolve())
        assert _wait_job(http, job["job_id"])["state"] == "done"
        health = http.get("/api/v1/health")
    index = health.json()["index"]
    assert index["files"] == 2 and index["chunks"] >= 2
    assert str(project) not in health.text


@pytest.mark.parametrize("body, status", [
    ({"path": "/no/such/folder"}, 400),
    ({"path": 5}, 422),
    ({"paths": ["x"]}, 422),
])
def test_bad_index_requests(live: LiveServer, body: dict, status: int) -> None:
    with live.client() as http:
        response = http.post("/api/v1/index", json=body)
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.parametrize("body", [{"query": ""}, {"query": "x", "k": 0},
                                  {"query": "x", "mode": "fuzzy"}])
def test_bad_search_requests_are_422(live: LiveServer, body: dict) -> None:
    with live.client() as http:
        assert http.post("/api/v1/search", json=body).status_code == 422


def test_unknown_jobs_are_404(live: LiveServer) -> None:
    with live.client() as http:
        assert http.get("/api/v1/index/nosuchjob").status_code == 404
        assert http.get("/api/v1/index/nosuchjob/events").status_code == 404
        assert http.delete("/api/v1/index/nosuchjob").status_code == 404
