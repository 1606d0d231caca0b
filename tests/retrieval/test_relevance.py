"""The relevance floor: a greeting or a general question gets no code chunks (and the
context event says how many were left out); a question about the code keeps the index's
ranking; a general question keeps only chunks that contain its words. No score scale is
assumed: the same hits with scores of any size give the same answer."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.events import ContextEvent
from assistant.relevance import query_of, relevant
from assistant.store import Store
from indexer.types import Hit
from tests.retrieval.test_orchestrator_context import StaticIndex, build
from tests.support.scripted import ScriptedProvider


def code_hit(path: str, text: str, score: float) -> Hit:
    return Hit(path, 1, text.count("\n") + 1, score, text[:40], f"# {path}\n{text}")


HITS = [
    code_hit("src/kettle.py", "def boil(water):\n    return heat(water, 100)\n", 9.5),
    code_hit("src/config.py", "def load_config(path):\n    return read_toml(path)\n", 7.1),
    code_hit("src/math_utils.py", "def add(a, b):\n    return a + b\n", 3.3),
]


@pytest.mark.parametrize("question", ["hello", "Say hi.", "What is 2+2?", "thanks!",
                                      "Good morning, how are you?"])
def test_greetings_and_arithmetic_have_no_terms_and_get_no_chunks(question: str) -> None:
    assert query_of(question).terms == ()
    kept, left_out = relevant(question, HITS)
    assert kept == [] and left_out == 3


@pytest.mark.parametrize("scale", [1.0, 0.001, 1000.0])
def test_a_question_about_the_code_keeps_the_ranking_at_any_score_scale(scale: float) -> None:
    hits = [Hit(h.path, h.start_line, h.end_line, h.score * scale, h.snippet, h.text)
            for h in HITS]
    kept, left_out = relevant("where is load_config defined?", hits)
    assert kept == hits and left_out == 0


def test_a_general_question_keeps_only_chunks_with_its_words() -> None:
    assert relevant("What is the capital of France?", HITS) == ([], 3)
    kept, left_out = relevant("How does the kettle boil water?", HITS)
    assert [h.path for h in kept] == ["src/kettle.py"] and left_out == 2


def test_the_turn_says_chunks_were_left_out(settings: Settings, store: Store) -> None:
    provider = ScriptedProvider(["4"])
    orchestrator = build(settings, store, provider, StaticIndex(HITS))
    events = list(orchestrator.run_turn("What is 2+2?"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert context.sources == () and context.left_out == 3
    assert provider.requests[0][-1]["content"] == "What is 2+2?"  # no code in the prompt


def test_folded_context_line_wording() -> None:
    from tui.output_block import sources_title

    assert sources_title(2) == "Context: 2 chunks"
    assert sources_title(0, 3) == "Context: no code (3 chunks found, not relevant to the question)"
    assert sources_title(1, 2) == "Context: 1 chunk (2 chunks left out as not relevant)"
