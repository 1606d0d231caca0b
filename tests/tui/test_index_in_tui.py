"""The TUI indexes the project in the background: status bar, /search, and answers that show
the code chunks their prompt held (a real lexical index over a small project)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from assistant.config import Settings
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import (
    SIZE,
    answer_done,
    chat,
    last_answer,
    notices,
    send,
    wait_for,
)
from tui.app import FiresideApp
from tui.output_block import OutputBlock, SourcesBlock
from tui.status_bar import StatusBar


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "tokens.py").write_text(
        "def count_tokens(text):\n"
        '    """Count the tokens in a text."""\n'
        "    return len(text.split())\n"
    )
    (root / "src" / "pages.py").write_text(
        "def render_page(title):\n    return f'<h1>{title}</h1>'\n"
    )
    (root / "README.md").write_text("# Demo\n\nA demo project about tokens.\n")
    (root / ".env").write_text("TOKEN_SECRET=hunter2\n")
    return root


def make_app(orchestrator: Orchestrator, project: Path) -> FiresideApp:
    return FiresideApp(orchestrator, warm_up=False, index=True, project_root=project,
                       embed=False)


def index_text(pilot: Pilot) -> str:
    return chat(pilot).query_one(StatusBar).index


async def index_ready(pilot: Pilot) -> None:
    await wait_for(pilot, lambda: index_text(pilot).startswith("index: 3 files"),
                   "the index to be ready", timeout=30)


def blocks(pilot: Pilot) -> list[OutputBlock]:
    return [b for b in chat(pilot).query(OutputBlock) if not isinstance(b, SourcesBlock)]


async def test_the_project_is_indexed_and_searchable(
    orchestrator: Orchestrator, project: Path
) -> None:
    app = make_app(orchestrator, project)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await index_ready(pilot)
            await send(pilot, "/search count tokens")
            await wait_for(pilot, lambda: blocks(pilot), "the search results")
            block = blocks(pilot)[0]
            assert "count tokens" in str(block.title) and "hits" in str(block.title)
            assert "src/tokens.py:1-3" in block.body
            assert ".env" not in block.body and "hunter2" not in block.body
    finally:
        app.close_index()
    assert app.indexer is None


async def test_an_answer_shows_and_keeps_the_chunks_its_prompt_held(
    settings: Settings, store: Store, project: Path
) -> None:
    provider = ScriptedProvider(["It is in src/tokens.py:1-3."])
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    app = make_app(orchestrator, project)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await index_ready(pilot)
            await wait_for(pilot, lambda: orchestrator.retriever is not None, "the retriever")
            await send(pilot, "where are tokens counted?")
            await answer_done(pilot)
            sent = provider.requests[0][-1]["content"]
            assert "src/tokens.py:1-3" in sent and "def count_tokens" in sent
            assert "hunter2" not in sent
            shown = last_answer(pilot).query_one(SourcesBlock)
            assert "src/tokens.py:1-3" in shown.body
            assert str(shown.title).startswith("Context:") and shown.collapsed
            session = chat(pilot).session_id
            assert session is not None
            # Reopened later, the chat still shows what the answer was given.
            await pilot.press("ctrl+n")
            await pilot.pause()
            await chat(pilot).open_session(session)
            await pilot.pause()
            again = last_answer(pilot).query_one(SourcesBlock)
            assert again.body == shown.body
    finally:
        app.close_index()


async def test_an_edit_is_picked_up_by_the_watcher(
    orchestrator: Orchestrator, project: Path
) -> None:
    app = make_app(orchestrator, project)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await index_ready(pilot)
            await wait_for(pilot, lambda: app.indexer is not None and app.indexer.watching,
                           "the watcher")
            (project / "src" / "fresh.py").write_text("def zebra_crossing():\n    pass\n")
            await wait_for(pilot, lambda: index_text(pilot).startswith("index: 4 files"),
                           "the new file to be indexed", timeout=20)
            await send(pilot, "/search zebra crossing")
            await wait_for(pilot, lambda: blocks(pilot), "the search results")
            assert "src/fresh.py:1-2" in blocks(pilot)[0].body
    finally:
        app.close_index()


async def test_search_without_an_index_says_why(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/search anything")
        await pilot.pause()
        assert any("index is off" in n for n in notices(pilot))
        await send(pilot, "/search")
        await pilot.pause()
        assert "Give a query: /search QUERY" in notices(pilot)
        assert not blocks(pilot)


async def test_a_missing_project_is_a_one_line_notice(
    orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app = make_app(orchestrator, tmp_path / "nope")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: index_text(pilot) == "index: failed", "the failure")
            assert any("does not exist" in n for n in notices(pilot))
            await send(pilot, "/search x")
            await pilot.pause()
            assert any("not available" in n for n in notices(pilot))
    finally:
        app.close_index()


async def test_quitting_stops_indexing_promptly(
    orchestrator: Orchestrator, tmp_path: Path
) -> None:
    root = tmp_path / "big"
    root.mkdir()
    for i in range(400):
        (root / f"m{i}.py").write_text(f"def f{i}():\n    return {i}\n" * 20)
    app = make_app(orchestrator, root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.indexer is not None, "indexing to start")
        indexer = app.indexer
    assert indexer is not None and indexer.cancel.is_set()  # set when the app unmounted
    app.close_index(timeout=10)
    assert not indexer.running, "the indexing thread did not stop"


@pytest.mark.slow
async def test_answers_search_hybrid_once_the_embedder_is_loaded(
    settings: Settings, store: Store, project: Path
) -> None:
    provider = ScriptedProvider(["See src/pages.py:1-2."])
    orchestrator = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    app = FiresideApp(orchestrator, warm_up=False, index=True, project_root=project)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: orchestrator.retriever is not None, "the retriever")
            await wait_for(pilot, lambda: orchestrator.retriever.mode == "hybrid",
                           "the embeddings", timeout=120)
            status = app.indexer.project.status()
            assert status.embedded == status.chunks > 0
            assert index_text(pilot) == "index: 3 files"
            # No word in common with the code: only vector search finds it.
            question = "build a web document with a heading"
            assert app.indexer.project.search(question, mode="lexical") == []
            await send(pilot, question)
            await answer_done(pilot)
            shown = last_answer(pilot).query_one(SourcesBlock)
            assert shown.sources[0].path == "src/pages.py"
            assert "def render_page" in provider.requests[0][-1]["content"]
    finally:
        app.close_index()


async def test_an_index_another_process_keeps_is_searched_not_rebuilt(
    orchestrator: Orchestrator, project: Path
) -> None:
    import fcntl

    from indexer.project import index_dir, open_project

    built = open_project(project, orchestrator.settings)
    built.update(embed=False)
    built.close()
    with open(index_dir(project) / "lock", "a+") as lock:  # as `fireside index --watch` holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        app = make_app(orchestrator, project)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await index_ready(pilot)
                assert any("another Fireside process" in n for n in notices(pilot))
                await send(pilot, "/search count tokens")
                await wait_for(pilot, lambda: blocks(pilot), "the search results")
                assert "src/tokens.py:1-3" in blocks(pilot)[0].body
        finally:
            app.close_index()


def test_embedding_progress_counts_every_chunk_of_the_project() -> None:
    from indexer.types import IndexProgress
    from tui.indexing import progress_text

    resumed = IndexProgress("embed", chunks_done=10, chunks_total=60, embedded=50, pending=50)
    assert progress_text(resumed) == "embedding 50%"
    slow = IndexProgress("embed", embedded=10, pending=990, eta_s=600)
    assert progress_text(slow) == "embedding 1% (~10 min left)"
    assert progress_text(IndexProgress("embed", embedded=5, pending=0)) == "embedding: done"
    lexical = IndexProgress("lexical", files_done=200, files_total=900)
    assert progress_text(lexical) == "indexing 200/900 files"
