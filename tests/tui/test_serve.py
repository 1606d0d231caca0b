"""/serve in the TUI: the localhost API runs inside the app on the app's model (one queue for
the app's turns and the editors' requests); the status bar shows its address."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from assistant.config import load_settings
from assistant.orchestrator import Orchestrator
from assistant.server.token import read_token
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, chat, last_answer, send, wait_for
from tui.app import FiresideApp

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(store: Store, provider: ScriptedProvider, port: int) -> FiresideApp:
    settings = load_settings()
    settings = settings.model_copy(
        update={"server": settings.server.model_copy(update={"port": port})})
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    return FiresideApp(orchestrator, warm_up=False)


async def test_serve_starts_and_stops_the_api_on_the_apps_model(store: Store) -> None:
    port = _free_port()
    provider = ScriptedProvider(["Answered through the API."])
    app = _app(store, provider, port)
    async with app.run_test(size=SIZE) as pilot:
        bar = chat(pilot).status_bar
        assert bar.api == ""
        await send(pilot, "/serve")
        await wait_for(pilot, lambda: bar.api, "the API address in the status bar")
        assert bar.api == f"API http://127.0.0.1:{port}"
        token = read_token()
        assert token

        def ask() -> httpx.Response:
            return httpx.post(
                f"http://127.0.0.1:{port}/v1/chat/completions", timeout=30,
                headers={"Authorization": f"Bearer {token}"},
                json={"model": "fireside", "messages": [{"role": "user", "content": "hi"}]})

        response = await asyncio.to_thread(ask)
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"] == (
            "Answered through the API.")
        saved = store.messages(response.headers["x-fireside-session"])
        assert [m.role for m in saved] == ["user", "assistant"]
        await send(pilot, "/serve")
        await wait_for(pilot, lambda: not bar.api, "the API address to go away")
        with pytest.raises(httpx.ConnectError):
            await asyncio.to_thread(ask)


async def test_a_tui_turn_waits_while_an_editor_holds_the_model(store: Store) -> None:
    provider = ScriptedProvider(["My own answer."])
    app = _app(store, provider, _free_port())
    async with app.run_test(size=SIZE) as pilot:
        editor = app.model_queue.admit()
        assert editor.wait()
        await send(pilot, "Hello?")
        await wait_for(pilot, lambda: "waiting for the model" in chat(pilot).status_bar.state,
                       "the waiting notice")
        assert provider.requests == []
        editor.release()
        await wait_for(pilot, lambda: not chat(pilot).answering, "the answer")
        assert "My own answer." in last_answer(pilot).text


async def test_a_port_in_use_is_a_notice_not_a_crash(store: Store) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app = _app(store, ScriptedProvider(), port)
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, "/serve")
            await wait_for(pilot, lambda: any("already in use" in str(n.message)
                                              for n in app._notifications),
                           "the port-in-use notice")
            assert chat(pilot).status_bar.api == ""
