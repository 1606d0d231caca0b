"""The app shell: themes, and nothing heavy imported by the TUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, notices
from tui.app import FiresideApp


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
