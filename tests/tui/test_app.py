"""The app shell: themes, and nothing heavy imported by the TUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import SessionNotFoundError, StoreError
from assistant.orchestrator import Orchestrator
from assistant.store import Store, open_store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, notices
from tui.app import FiresideApp, run_tui


def test_importing_the_tui_loads_no_model_libraries() -> None:
    code = (
        "import sys, tui, tui.app, tui.widgets; "
        "print(sorted(m for m in ('llama_cpp', 'torch', 'chromadb', 'sentence_transformers')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert out.strip() == "[]"


async def test_the_packaged_theme_is_the_default(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE):
        assert app.theme == "fireside"


async def test_a_builtin_textual_theme_can_be_chosen(settings: Settings, store: Store) -> None:
    settings = settings.model_copy(update={"theme": "nord"})
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: ScriptedProvider())
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE):
        assert app.theme == "nord"


async def test_an_unknown_theme_falls_back_with_a_notice(settings: Settings, store: Store) -> None:
    settings = settings.model_copy(update={"theme": "no-such-theme"})
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: ScriptedProvider())
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "fireside"
        assert any("no theme 'no-such-theme'" in n for n in notices(pilot))


def test_run_tui_rejects_an_unknown_session_before_starting(settings: Settings) -> None:
    with pytest.raises(SessionNotFoundError):
        run_tui(settings, session_id="nope")


def test_run_tui_runs_the_app_and_closes_the_store(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def fake_run(self: FiresideApp) -> None:
        seen["session"] = self.chat._initial_session
        seen["store"] = self.orchestrator.store

    monkeypatch.setattr(FiresideApp, "run", fake_run)
    store = open_store()
    session = store.create_session("saved").id
    store.close()

    run_tui(settings, session_id=session[:5])

    assert seen["session"] == session
    with pytest.raises(StoreError):  # closed afterwards
        seen["store"].list_sessions()  # type: ignore[attr-defined]
