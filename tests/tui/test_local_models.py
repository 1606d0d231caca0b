"""The model picker lists GGUFs found on this machine next to the configured model; picking
one switches the next turn to it. The tip about the tiny embedded model hides for good."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from assistant.config import Settings, load_settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers.models import default_model_path
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, answer_done, chat, send, wait_for
from tui.app import FiresideApp
from tui.dialogs import ModelPicker
from tui.model_tip import ModelTip


@pytest.fixture
def lmstudio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    target = home / ".lmstudio" / "models" / "pub" / "tiny-GGUF" / "lms-tiny-Q4_1.gguf"
    target.parent.mkdir(parents=True)
    embedded = default_model_path()
    assert embedded is not None
    target.hardlink_to(embedded)
    monkeypatch.setenv("HOME", str(home))
    for name in ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    return home


class Named(ScriptedProvider):
    def __init__(self, settings: Settings) -> None:
        super().__init__([f"answer from {settings.model or 'embedded'}"])
        self.name = settings.model or "SmolLM2-135M-Instruct.Q4_1"


async def test_picking_a_local_gguf_uses_it_for_the_next_turn(
    lmstudio_home: Path, store: Store
) -> None:
    made: list[Named] = []

    def factory(settings: Settings) -> Named:
        made.append(Named(settings))
        return made[-1]

    orchestrator = Orchestrator(load_settings(), store, provider_factory=factory)
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), "the picker")
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["local", "gguf:lms-tiny-Q4_1"]
        assert "lmstudio" in str(options.get_option_at_index(1).prompt)
        await pilot.press("down", "enter")
        bar = chat(pilot).status_bar
        await wait_for(pilot, lambda: bar.model == "lms-tiny-Q4_1" and bar.state == "ready",
                       "the picked model")
        assert orchestrator.settings.model == "lms-tiny-Q4_1"
        await send(pilot, "hi")
        await answer_done(pilot)
        assert made[-1].requests, "the next turn went to the picked model"
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker), "the picker")
        assert app.screen.query_one(OptionList).highlighted == 1  # the one in use


async def test_the_embedded_model_tip_hides_for_good(
    lmstudio_home: Path, store: Store
) -> None:
    def app_for() -> FiresideApp:
        orchestrator = Orchestrator(load_settings(), store,
                                    provider_factory=lambda s: Named(s))
        return FiresideApp(orchestrator, warm_up=True)

    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat.query(ModelTip), "the tip")
        tip = app.chat.query_one(ModelTip)
        assert "fireside models pull qwen2.5-coder-1.5b" in str(tip.render())
        await pilot.click(ModelTip)
        await wait_for(pilot, lambda: not app.chat.query(ModelTip), "the tip to go")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: chat(pilot).status_bar.state == "ready", "ready")
        await pilot.pause()
        assert not app.chat.query(ModelTip)
