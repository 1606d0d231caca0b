"""``[vector_store] url``: the same index code against a real ``chroma run`` server on a
loopback port (skipped with a message when the server cannot start here)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.errors import IndexerError
from indexer.project import ProjectIndex
from tests.indexer.corpus import write_corpus

pytestmark = pytest.mark.slow
Opener = Callable[..., ProjectIndex]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chroma_executable() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    exe = _chroma_executable()
    if exe is None:
        pytest.skip("the chroma executable is not installed")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.skip(f"chroma run exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.skip("chroma run did not answer within 30 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def with_url(settings: Settings, url: str) -> Settings:
    return settings.model_copy(
        update={"vector_store": settings.vector_store.model_copy(update={"url": url})}
    )


def test_index_and_search_through_a_chroma_server(
    tree: Path, open_index: Opener, settings: Settings, chroma_url: str
) -> None:
    write_corpus(tree)
    remote = with_url(settings, chroma_url)
    project = open_index(tree, remote)
    summary = project.update()
    assert summary.pending == 0 and summary.embedded == summary.chunks
    assert not (project.dir / "chroma").exists()  # nothing embedded locally
    assert project.status().vector_store == chroma_url
    hits = project.search("message a newly registered member", mode="vector", k=1)
    assert hits[0].path == "mail/welcome.py"
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    name = project.vectors().name
    assert client.get_collection(name).count() == summary.chunks
    project.forget()
    assert name not in {c.name for c in client.list_collections()}


def test_unreachable_server_is_a_clear_message(
    tree: Path, open_index: Opener, settings: Settings
) -> None:
    write_corpus(tree)
    project = open_index(tree, with_url(settings, f"http://127.0.0.1:{_free_port()}"))
    summary = project.update()  # lexical still works; embeddings wait
    assert summary.pending == summary.chunks
    assert any("Chroma server" in n for n in project.notices)
    with pytest.raises(IndexerError, match="Chroma server"):
        project.vectors().count()
