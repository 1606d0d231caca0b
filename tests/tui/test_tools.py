"""Tools in the TUI (Pilot): calls shown above the answer with the result folded, Esc while a
tool runs, the approval dialog for "ask" tools, the Ctrl+T toggle and its status-bar
indicator, /web and /fetch putting results into the next question, saved steps shown again
when a chat is reopened; one snapshot of a chat with a tool call."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel
from textual.pilot import Pilot

from assistant.config import Settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from assistant.tools.base import Risk, Tool, ToolOutput
from tests.support.tool_scripted import (
    SLEEP,
    UPPER,
    WRITE,
    ToolScriptedProvider,
    call,
    tool_registry,
)
from tests.tui.conftest import SIZE, chat, last_answer, send, wait_for
from tui.app import FiresideApp
from tui.consent_dialog import ToolConsentDialog
from tui.prompt_input import PromptInput
from tui.tool_call_view import ToolCallView


class QueryArgs(BaseModel):
    query: str


class UrlArgs(BaseModel):
    url: str


# Stand-ins named like the real network tools (no network in tests).
FAKE_WEB = Tool("web_search", "Search the web.", QueryArgs, Risk.NETWORK,
                lambda a, _c: ToolOutput(f"1. Result about {a.query}\n   https://r.test/1"))
FAKE_FETCH = Tool("fetch_url", "Fetch a page.", UrlArgs, Risk.NETWORK,
                  lambda a, _c: ToolOutput(f"# Page at {a.url}\nIt boils in 42 s."))


def app_for(settings: Settings, store: Store, provider: ToolScriptedProvider, *tools: Tool,
            session_id: str | None = None) -> FiresideApp:
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider,
                        tools=tool_registry(settings, *tools))
    return FiresideApp(orch, session_id=session_id, warm_up=False)


def tool_views(pilot: Pilot) -> list[ToolCallView]:
    return list(chat(pilot).query(ToolCallView))


def answered(pilot: Pilot) -> bool:
    return not chat(pilot).answering and not last_answer(pilot).streaming


async def test_a_call_is_shown_above_its_answer_with_the_result_folded(
    settings: Settings, store: Store
) -> None:
    provider = ToolScriptedProvider([call("shout", text="hi")], ["It says HI."])
    async with app_for(settings, store, provider, UPPER).run_test(size=SIZE) as pilot:
        await send(pilot, "shout hi")
        await wait_for(pilot, lambda: answered(pilot), "the answer")
        (view,) = tool_views(pilot)
        assert view.state == "ok" and view.result == "HI" and view.collapsed
        assert str(view.title).startswith('✓ shout(text="hi")')
        children = list(chat(pilot).message_list.children)
        assert children.index(view) < children.index(last_answer(pilot))
        assert last_answer(pilot).text == "It says HI."


async def test_esc_while_a_tool_runs_stops_the_turn(settings: Settings, store: Store) -> None:
    provider = ToolScriptedProvider([call("nap", seconds=30)], ["never"])
    async with app_for(settings, store, provider, SLEEP).run_test(size=SIZE) as pilot:
        await send(pilot, "nap")
        await wait_for(pilot, lambda: tool_views(pilot), "the tool call")
        assert tool_views(pilot)[0].state == "running"
        await pilot.press("escape")
        await wait_for(pilot, lambda: answered(pilot), "the turn to stop", timeout=5)
        assert tool_views(pilot)[0].state == "failed"
        assert last_answer(pilot).status == "cancelled"
        assert len(provider.requests) == 1


async def test_ask_tools_open_the_approval_dialog(settings: Settings, store: Store) -> None:
    provider = ToolScriptedProvider([call("scribble", "a", text="x")], ["done"],
                                    [call("scribble", "b", text="y")], ["skipped"])
    async with app_for(settings, store, provider, WRITE).run_test(size=SIZE) as pilot:
        await send(pilot, "write x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ToolConsentDialog),
                       "the approval dialog")
        assert not pilot.app.screen.query("#session")  # write tools always ask
        await pilot.click("#once")
        await wait_for(pilot, lambda: answered(pilot), "the answer")
        assert tool_views(pilot)[0].state == "ok"
        await send(pilot, "write y")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ToolConsentDialog),
                       "the second dialog")
        await pilot.press("escape")  # Esc in the dialog: don't run
        await wait_for(pilot, lambda: answered(pilot), "the second answer")
        second = tool_views(pilot)[1]
        assert second.state == "failed" and "declined" in (second.result or "")


async def test_ctrl_t_turns_tools_off_and_on(settings: Settings, store: Store) -> None:
    provider = ToolScriptedProvider(["plain"])
    async with app_for(settings, store, provider, UPPER).run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        assert screen.tools_on and screen.status_bar.tools
        await pilot.press("ctrl+t")
        assert not screen.tools_on and not screen.status_bar.tools
        assert "tools off" in str(screen.status_bar.query_one("#tools").render())
        await send(pilot, "hi")
        await wait_for(pilot, lambda: answered(pilot), "the answer")
        assert provider.options[-1].tools == ()
        await pilot.press("ctrl+t")
        await send(pilot, "again")
        await wait_for(pilot, lambda: len(provider.options) == 2 and answered(pilot), "answer")
        assert [t.name for t in provider.options[-1].tools] == ["shout"]


async def test_web_and_fetch_results_go_with_the_next_question(
    settings: Settings, store: Store
) -> None:
    provider = ToolScriptedProvider(["Noted."])
    app = app_for(settings, store, provider, FAKE_WEB, FAKE_FETCH)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/web kettles")
        await wait_for(pilot, lambda: tool_views(pilot) and tool_views(pilot)[0].result,
                       "the search result")
        await send(pilot, "/fetch https://kettle.test/news")
        await wait_for(pilot, lambda: len(tool_views(pilot)) == 2 and tool_views(pilot)[1].result,
                       "the page")
        assert tool_views(pilot)[1].state == "ok"
        assert len(chat(pilot).pending_context) == 2
        await send(pilot, "How fast does it boil?")
        await wait_for(pilot, lambda: answered(pilot), "the answer")
        question = provider.requests[-1][-1]["content"]
        assert "Result about kettles" in question and "It boils in 42 s." in question
        assert question.rstrip().endswith("How fast does it boil?")
        assert chat(pilot).pending_context == []


async def test_web_without_a_query_is_a_notice(settings: Settings, store: Store) -> None:
    provider = ToolScriptedProvider(["x"])
    async with app_for(settings, store, provider, FAKE_WEB).run_test(size=SIZE) as pilot:
        await send(pilot, "/web")
        await pilot.pause()
        assert not tool_views(pilot) and not provider.requests
        assert any("/web QUERY" in str(n.message) for n in pilot.app._notifications)


async def test_a_reopened_chat_shows_its_tool_steps(settings: Settings, store: Store) -> None:
    provider = ToolScriptedProvider([call("shout", text="hey")], ["HEY it is."])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider,
                        tools=tool_registry(settings, UPPER))
    session = [e for e in orch.run_turn("shout hey") if e.type == "done"][0].session_id
    provider2 = ToolScriptedProvider(["x"])
    app = app_for(settings, store, provider2, UPPER, session_id=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: tool_views(pilot), "the saved step")
        (view,) = tool_views(pilot)
        assert view.state == "ok" and view.result == "HEY"
        children = list(chat(pilot).message_list.children)
        assert children.index(view) < children.index(last_answer(pilot))


SnapCompare = Callable[..., bool]


def test_snapshot_a_chat_with_a_tool_call(
    snap_compare: SnapCompare, settings: Settings, store: Store
) -> None:
    provider = ToolScriptedProvider([call("shout", text="hello")], ["It says **HELLO**."])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider,
                        tools=tool_registry(settings, UPPER))
    session = [e for e in orch.run_turn("Shout hello") if e.type == "done"][0].session_id
    store.rename_session(session, "Shouting")
    app = FiresideApp(orch, session_id=session, warm_up=False)

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.query(PromptInput), "the chat screen")
        pilot.app.screen.query_one(PromptInput).cursor_blink = False
        await wait_for(pilot, lambda: tool_views(pilot), "the tool call")
        view = tool_views(pilot)[0]  # a fixed duration: the measured one varies
        view.set_result(view.result or "", ok=True, duration_ms=3)
        chat(pilot).status_bar.speed = 50.0  # likewise the saved answer's speed
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_a_network_call_the_model_starts_asks_with_the_whole_url(
    settings: Settings, store: Store
) -> None:
    url = "https://collect.test/page?q=" + "s3cret-" * 20
    provider = ToolScriptedProvider([call("fetch_url", "a", url=url)], ["I could not fetch it."],
                                    [call("fetch_url", "b", url="https://x.test/1")], ["ok"],
                                    [call("fetch_url", "c", url="https://x.test/2")], ["ok"])
    app = app_for(settings, store, provider, FAKE_FETCH)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ToolConsentDialog),
                       "the consent dialog")
        dialog = pilot.app.screen
        assert isinstance(dialog, ToolConsentDialog)
        shown = str(dialog.query_one(".consent-arguments").render())
        assert url in shown.replace("\n", "")  # every character of the URL, not shortened
        await pilot.click("#deny")
        await wait_for(pilot, lambda: answered(pilot), "the answer after the refusal")
        first = tool_views(pilot)[0]
        assert first.state == "failed" and "declined" in (first.result or "")
        assert str(first.title).startswith("✗ fetch_url: the user declined")  # one line
        assert last_answer(pilot).text == "I could not fetch it."  # the turn went on
        # Allow for this session: asked once, then not again in this chat.
        await send(pilot, "again")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ToolConsentDialog),
                       "the second dialog")
        await pilot.click("#session")
        await wait_for(pilot, lambda: answered(pilot) and len(tool_views(pilot)) == 2, "answer")
        await send(pilot, "and again")
        await wait_for(pilot, lambda: len(tool_views(pilot)) == 3 and answered(pilot), "third")
        assert [v.state for v in tool_views(pilot)] == ["failed", "ok", "ok"]
