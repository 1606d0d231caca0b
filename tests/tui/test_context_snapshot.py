"""Snapshot: answers with their folded and unfolded "Context" lines, /search output, and the
project index in the status bar (update with ``pytest tests/tui --snapshot-update``)."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from assistant.events import Source
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from indexer.types import Hit
from tests.tui.conftest import SIZE, chat, views, wait_for
from tui.app import FiresideApp
from tui.output_block import OutputBlock, SourcesBlock
from tui.prompt_input import PromptInput
from tui.search_command import format_hits, search_title
from tui.status_bar import StatusBar

SnapCompare = Callable[..., bool]


def test_an_answer_with_its_code_context(
    snap_compare: SnapCompare, orchestrator: Orchestrator, store: Store
) -> None:
    session = store.create_session("Token counting", "scripted").id
    store.add_message(session, "user", "Where are tokens counted?")
    first = store.add_message(
        session, "assistant", "In `count_tokens` (src/tokens.py:4-6).", model="scripted"
    )
    store.add_message_sources(
        session,
        first,
        [Source("src/tokens.py", 4, 6, 0.9, "count_tokens"), Source("README.md", 1, 3, 0.4)],
    )
    store.add_message(session, "user", "And pages?")
    second = store.add_message(
        session, "assistant", "`render_page` (src/pages.py:1-3).", model="scripted"
    )
    store.add_message_sources(session, second, [Source("src/pages.py", 1, 3, 0.8)])
    app = FiresideApp(orchestrator, session_id=session, warm_up=False)

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.query(PromptInput), "the chat screen")
        pilot.app.screen.query_one(PromptInput).cursor_blink = False
        await wait_for(pilot, lambda: len(views(pilot)) == 4, "the history")
        bar = chat(pilot).query_one(StatusBar)
        bar.index, bar.index_busy = "index: 3 files", False
        chat(pilot).query(SourcesBlock).first().collapsed = False
        hits = [
            Hit("src/pages.py", 1, 3, 0.0328, "def render_page(title):\n    return ...",
                symbol="render_page"),
            Hit("README.md", 1, 3, 0.0161, "A demo project about pages."),
        ]
        await chat(pilot).show_output(search_title("render a page", hits), format_hits(hits))
        await wait_for(pilot, lambda: len(chat(pilot).query(OutputBlock)) == 3, "the hits")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
