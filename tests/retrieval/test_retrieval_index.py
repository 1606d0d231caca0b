"""Retrieval over a real project index (lexical; hybrid is tested with the real embedder in
tests/tui/test_index_in_tui.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.events import ContextEvent, MessageDoneEvent
from assistant.orchestrator import Orchestrator
from assistant.retrieval import Retriever, estimate_tokens
from assistant.store import Store
from tests.support.scripted import ScriptedProvider


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "tokens.py").write_text(
        "def count_tokens(text):\n"
        '    """Count the whitespace separated tokens in a text."""\n'
        "    return len(text.split())\n"
    )
    (root / "src" / "pages.py").write_text(
        "def render_page(title, body):\n"
        '    """Render an HTML page."""\n'
        "    return f'<h1>{title}</h1><p>{body}</p>'\n"
    )
    (root / "src" / "tokens_config.py").write_text("TOKENS_PER_PAGE = 500\n")
    (root / ".env").write_text("TOKENS_SECRET=hunter2 count tokens\n")
    (root / "server.pem").write_text("-----BEGIN count tokens-----\n")
    return root


@pytest.fixture
def project(tmp_path: Path, settings: Settings) -> Iterator[Any]:
    from indexer.project import open_project

    index = open_project(write_project(tmp_path / "demo"), settings)
    index.update(embed=False)
    yield index
    index.close()


def test_the_best_chunks_come_first_within_the_budget(
    project: Any, settings: Settings
) -> None:
    retriever = Retriever(project, settings.index, mode="lexical")
    got = retriever.retrieve("how are tokens counted", budget=400)
    assert got.sources[0].path == "src/tokens.py"
    assert got.sources[0].citation == "src/tokens.py:1-3"
    assert "def count_tokens(text):" in got.block
    assert "src/tokens.py:1-3" in got.block and "cite the source as path:lines" in got.block
    assert got.tokens <= 400 and estimate_tokens(got.block) <= 400
    assert all(".env" not in s.path and not s.path.endswith(".pem") for s in got.sources)
    assert "hunter2" not in got.block


def test_a_tiny_budget_gives_nothing_rather_than_too_much(
    project: Any, settings: Settings
) -> None:
    retriever = Retriever(project, settings.index, mode="lexical")
    assert retriever.retrieve("count tokens", budget=10).chunks == ()
    assert retriever.retrieve("count tokens", budget=0).chunks == ()
    assert retriever.retrieve("   ", budget=500).chunks == ()


def test_a_pasted_bug_report_still_finds_code(project: Any, settings: Settings) -> None:
    retriever = Retriever(project, settings.index, mode="lexical")
    report = "Traceback (most recent call last): " + "frame line noise " * 2000
    report += " render_page fails for an empty title"
    got = retriever.retrieve(report, budget=400)
    assert got.tokens <= 400  # the query was cut; whatever it found fits


def test_a_turn_cites_the_index_and_saves_its_sources(
    project: Any, settings: Settings, store: Store
) -> None:
    provider = ScriptedProvider(["Tokens are counted in src/tokens.py:1-3."])
    orchestrator = Orchestrator(
        settings, store, provider_factory=lambda _s: provider,
        retriever=Retriever(project, settings.index),  # hybrid: lexical until vectors exist
    )
    events = list(orchestrator.run_turn("where are tokens counted?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert context.sources and context.sources[0].citation == "src/tokens.py:1-3"
    assert "def count_tokens" in provider.requests[0][-1]["content"]
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert store.message_sources(done.session_id)[done.message_id] == list(context.sources)
