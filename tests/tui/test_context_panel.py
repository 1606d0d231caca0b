"""/context, /add, /drop and Tab completion in the TUI; the status bar's ``ctx`` count."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, answer_done, chat, notices, send, wait_for
from tui.app import FiresideApp
from tui.context_commands import complete
from tui.context_panel import ContextPanel
from tui.prompt_input import PromptInput


def _app(settings: Settings, store: Store, root: Path) -> tuple[FiresideApp, ScriptedProvider]:
    provider = ScriptedProvider(["Forty-two."])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider, project_root=root)
    return FiresideApp(orch, warm_up=False), provider


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return 42\n")
    (root / ".env").write_text("KEY=1\n")
    return root


async def test_add_pins_a_file_into_every_turn_and_drop_unpins(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app, provider = _app(settings, store, _project(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        await send(pilot, "/add src/app.py:2-2")
        await wait_for(pilot, lambda: screen.pins, "the pin")
        await send(pilot, "What does it return?")
        await answer_done(pilot)
        assert "return 42" in provider.requests[-1][-1]["content"]
        assert store.pins(screen.session_id) == [("src/app.py", 2, 2)]
        assert screen.status_bar.ctx.startswith("ctx ") and screen.status_bar.ctx.endswith("/4,096")
        await send(pilot, "/drop")
        await pilot.pause()
        assert screen.pins == [] and store.pins(screen.session_id) == []


async def test_a_secret_file_is_refused(settings: Settings, store: Store, tmp_path: Path) -> None:
    app, _provider = _app(settings, store, _project(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/add .env")
        await wait_for(pilot, lambda: any("secrets" in n for n in notices(pilot)), "refusal")
        assert chat(pilot).pins == []


async def test_context_opens_a_panel_with_every_part(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app, _provider = _app(settings, store, _project(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await answer_done(pilot)
        await send(pilot, "/add src/app.py")
        await wait_for(pilot, lambda: chat(pilot).pins, "the pin")
        await send(pilot, "/context")
        await wait_for(pilot, lambda: isinstance(app.screen, ContextPanel), "the panel")
        titles = [title for title, _ in app.screen.sections]
        assert titles == ["Next turn", "Last turn, as sent"]
        text = app.screen.sections[0][1]
        assert "system prompt" in text and "pinned src/app.py" in text
        assert "reserved for the answer" in text and "user: hello" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ContextPanel)


async def test_tab_completes_project_paths(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    root = _project(tmp_path)
    assert complete(root, "/add sr") == "/add src/"
    assert complete(root, "/add src/a") == "/add src/app.py"
    assert complete(root, "/add zz") is None
    app, _provider = _app(settings, store, root)
    async with app.run_test(size=SIZE) as pilot:
        prompt = chat(pilot).query_one(PromptInput)
        prompt.text = "/add src/a"
        prompt.move_cursor(prompt.document.end)
        await pilot.press("tab")
        assert prompt.text == "/add src/app.py"
