"""An MCP tool in the TUI: the approval dialog names its server, and the call shows as
``server.tool(...)`` with its result."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.mcp.manager import McpManager
from assistant.mcp.tools import add_tools
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.mcp_servers import in_process
from tests.support.tool_scripted import ToolScriptedProvider, call
from tests.tui.conftest import SIZE, chat, last_answer, send, wait_for
from tui.app import FiresideApp
from tui.consent_dialog import ToolConsentDialog
from tui.tool_call_view import ToolCallView


@pytest.fixture
def manager():
    m = McpManager([in_process()])
    m.start()
    yield m
    m.close()


async def test_an_mcp_tool_asks_naming_its_server_and_shows_the_call(
    settings: Settings, store: Store, manager: McpManager
) -> None:
    from assistant.tools.registry import Registry

    registry = Registry(settings)
    add_tools(registry, manager)
    provider = ToolScriptedProvider([call("demo.add", a=2, b=3)], ["Five."])
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider, tools=registry)
    app = FiresideApp(orch, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "add 2 and 3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ToolConsentDialog),
                       "the approval dialog")
        dialog = pilot.app.screen
        assert dialog.tool_name == "demo.add" and dialog.arguments == {"a": 2, "b": 3}
        texts = [str(label.render()) for label in dialog.query(".dialog-detail")]
        assert any("MCP server demo" in text for text in texts), texts
        assert len(dialog.query("#session")) == 1  # unknown risk: a session grant is offered
        await pilot.click("#once")
        await wait_for(pilot, lambda: not chat(pilot).answering
                       and not last_answer(pilot).streaming, "the answer")
        (view,) = list(chat(pilot).query(ToolCallView))
        assert view.state == "ok" and view.result == "5"
        assert str(view.title).startswith("✓ demo.add(a=2, b=3)")
