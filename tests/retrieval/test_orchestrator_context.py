"""The orchestrator's retrieval hook: chunks go into this turn's prompt only, within budget,
their sources are announced and saved; an index that fails never fails the turn."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.errors import IndexerError
from assistant.events import ContextEvent, ErrorEvent, MessageDoneEvent, Source, StatusEvent
from assistant.orchestrator import Orchestrator
from assistant.retrieval import Retriever
from assistant.store import Store
from indexer.types import Hit
from tests.support.scripted import ScriptedProvider


class StaticIndex:
    """Answers every search with the same hits (the real index is tested elsewhere)."""

    def __init__(self, hits: list[Hit], error: str | None = None) -> None:
        self.hits = hits
        self.error = error
        self.queries: list[str] = []

    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", path_glob: str | None = None
    ) -> list[Hit]:
        self.queries.append(query)
        if self.error:
            raise IndexerError(self.error)
        return self.hits[:k]


def hit(path: str, start: int, lines: int, word: str, score: float = 1.0) -> Hit:
    body = "\n".join(f"{word}_{i} = {i}" for i in range(lines))
    return Hit(path, start, start + lines - 1, score, body[:80], f"# {path}\n{body}")


HITS = [
    hit("src/tokens.py", 1, 5, "alpha", 0.9),
    hit(".env", 1, 2, "SECRET", 0.8),
    hit("src/app.py", 10, 4, "beta", 0.7),
]


def build(settings: Settings, store: Store, provider: ScriptedProvider, index: StaticIndex,
          **index_settings: int) -> Orchestrator:
    settings = settings.model_copy(
        update={"index": settings.index.model_copy(update=index_settings)}
    )
    return Orchestrator(
        settings,
        store,
        provider_factory=lambda _s: provider,
        retriever=Retriever(index, settings.index),
    )


def test_chunks_go_into_this_prompt_only_and_their_sources_are_saved(
    settings: Settings, store: Store
) -> None:
    provider = ScriptedProvider(["See src/tokens.py:1-5."])
    index = StaticIndex(HITS)
    orchestrator = build(settings, store, provider, index)
    events = list(orchestrator.run_turn("where is alpha defined?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert [s.citation for s in context.sources] == ["src/tokens.py:1-5", "src/app.py:10-13"]
    sent = provider.requests[0][-1]["content"]
    assert "src/tokens.py:1-5" in sent and "alpha_4 = 4" in sent
    assert "cite the source as path:lines" in sent
    assert "SECRET" not in sent and ".env" not in sent
    assert sent.endswith("Question: where is alpha defined?")
    assert "# src/tokens.py" not in sent  # the indexer's header line is not repeated
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert store.message_sources(done.session_id) == {done.message_id: list(context.sources)}
    # History keeps the question as typed: the next turn's prompt does not carry old chunks.
    saved = store.messages(done.session_id)
    assert saved[0].content == "where is alpha defined?"
    list(orchestrator.run_turn("and beta?", session_id=done.session_id))
    second = provider.requests[1]
    assert second[1]["content"] == "where is alpha defined?"
    assert index.queries == ["where is alpha defined?", "and beta?"]


def test_the_chunk_count_and_token_budget_are_kept(settings: Settings, store: Store) -> None:
    provider = ScriptedProvider()
    big = [hit(f"src/m{i}.py", 1, 30, f"name{i}", 1 - i / 10) for i in range(6)]
    orchestrator = build(settings, store, provider, StaticIndex(big), context_chunks=2)
    events = list(orchestrator.run_turn("where is name0 defined?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert len(context.sources) == 2

    provider = ScriptedProvider()
    orchestrator = build(settings, store, provider, StaticIndex(big), context_tokens=100)
    events = list(orchestrator.run_turn("where is name0 defined?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    block = provider.requests[0][-1]["content"]
    assert provider.count_tokens([{"role": "user", "content": block}]) - 4 <= 100
    assert context.sources and context.sources[0].path == "src/m0.py"
    # The best chunk was cut to fit: its end line says how much of it was sent.
    assert context.sources[0].end_line < 30
    assert f"name0_{context.sources[0].end_line - 1} =" in block
    assert "name0_29" not in block


def test_no_context_tokens_means_no_search(settings: Settings, store: Store) -> None:
    provider = ScriptedProvider()
    index = StaticIndex(HITS)
    orchestrator = build(settings, store, provider, index, context_tokens=0)
    events = list(orchestrator.run_turn("where is name0 defined?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert context.sources == () and index.queries == []
    assert provider.requests[0][-1]["content"] == "where is name0 defined?"


def test_a_failing_index_is_a_status_line_not_a_failed_turn(
    settings: Settings, store: Store
) -> None:
    provider = ScriptedProvider(["fine"])
    orchestrator = build(settings, store, provider, StaticIndex([], error="index is locked"))
    events = list(orchestrator.run_turn("where is name0 defined?"))
    assert any(
        isinstance(e, StatusEvent) and "no code context" in e.text and "locked" in e.text
        for e in events
    )
    assert not any(isinstance(e, ErrorEvent) for e in events)
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.content == "fine" and done.status == "complete"


@pytest.mark.parametrize("context_size", [400, 700])
def test_a_small_context_never_overflows(
    settings: Settings, store: Store, context_size: int
) -> None:
    provider = ScriptedProvider(context_size=context_size)
    big = [hit(f"src/m{i}.py", 1, 40, f"n{i}") for i in range(4)]
    orchestrator = build(settings, store, provider, StaticIndex(big))
    session = store.create_session("long").id
    for i in range(10):
        store.add_message(session, "user", " ".join(["old"] * 30) + f" {i}")
        store.add_message(session, "assistant", " ".join(["reply"] * 30))
    events = list(orchestrator.run_turn("the question about the code", session_id=session))
    assert not any(isinstance(e, ErrorEvent) for e in events)
    context = next(e for e in events if isinstance(e, ContextEvent))
    reserve = min(settings.max_tokens, max(64, context_size // 4))
    assert context.prompt_tokens + reserve <= context_size
    assert provider.requests[0][-1]["content"].endswith("the question about the code")
    # The chunks got at most half the room; history filled some of the rest.
    assert context.sources
    assert context.dropped_messages > 0 and len(provider.requests[0]) > 2


def test_sources_are_citations() -> None:
    assert Source("a/b.py", 3, 9).citation == "a/b.py:3-9"
