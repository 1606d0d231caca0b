"""The agent loop with the real embedded SmolLM2 GGUF: its plain ChatML template takes the
grammar path, so every reply is a parseable call or an answer. Assertions are on structure,
never on wording."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.events import MessageDoneEvent, TokenEvent, ToolCallEvent, ToolResultEvent
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from assistant.tools.registry import Registry
from providers.base import GenerationOptions, ToolCall
from providers.llama_cpp import LlamaCppProvider
from tests.support.llama import embedded_provider

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppProvider]:
    with embedded_provider(tmp_path_factory) as provider:
        yield provider


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "kettle"
    root.mkdir()
    (root / "README.md").write_text("# Kettle\nKettle boils water in 42 seconds.\n")
    (root / "app.py").write_text("def boil(seconds):\n    return seconds * 2\n")
    return root


def registry_for(settings) -> Registry:  # noqa: ANN001
    from assistant.tools.read_file import TOOL as READ_FILE
    from assistant.tools.web_search import TOOL as WEB_SEARCH

    registry = Registry(settings)
    registry.register(READ_FILE)
    registry.register(WEB_SEARCH)
    return registry


def test_the_model_calls_read_file_and_answers_from_the_result(
    llama: LlamaCppProvider, store: Store, project: Path
) -> None:
    assert llama.tool_mode == "grammar"
    settings = load_settings(temperature=0.0, seed=7, max_tokens=96, tools={"offer": "always"})
    orch = Orchestrator(settings, store, provider_factory=lambda _s: llama,
                        tools=registry_for(settings), project_root=project)
    events = list(orch.run_turn("Read the file README.md"))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    # Structure, not wording: a call to the right tool with arguments its schema accepts,
    # run, its result sent back, and an answer. (Which path a 135M model picks varies.)
    assert calls and calls[0].name == "read_file"
    assert isinstance(calls[0].arguments.get("path"), str)
    assert results and results[0].call_id == calls[0].call_id
    assert not results[0].content.startswith(("unknown tool", "invalid arguments"))
    if calls[0].arguments["path"] == "README.md":
        assert results[0].ok and "Kettle boils water" in results[0].content
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "complete" and done.content.strip()
    # The answer streamed as tokens (decoded out of the JSON string, not the raw JSON).
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert streamed.strip() == done.content.strip() and not streamed.lstrip().startswith("{")
    steps = store.tool_steps(done.session_id)
    assert steps[0].name == "read_file" and steps[0].message_id == done.message_id


def test_a_question_about_the_code_gets_a_code_search_call_and_an_answer(
    llama: LlamaCppProvider, store: Store, project: Path
) -> None:
    from assistant.tools.code_search import TOOL as CODE_SEARCH
    from indexer.project import open_project

    settings = load_settings(temperature=0.0, seed=7, max_tokens=96, tools={"offer": "always"})
    index = open_project(project, settings)  # a real (lexical) index of the project
    try:
        index.update(embed=False)
    finally:
        index.close()
    registry = Registry(settings)
    registry.register(CODE_SEARCH)
    orch = Orchestrator(settings, store, provider_factory=lambda _s: llama,
                        tools=registry, project_root=project)
    events = list(orch.run_turn("Search the code for the function that boils water."))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    assert calls and calls[0].name == "code_search"
    assert isinstance(calls[0].arguments.get("query"), str) and calls[0].arguments["query"]
    assert results and results[0].call_id == calls[0].call_id and results[0].ok
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "complete" and done.content.strip()
    assert [s.name for s in store.tool_steps(done.session_id)][:1] == ["code_search"]


PROMPTS = [
    "Read the file app.py",
    "Search the web for the latest Python release.",
    "What is in README.md?",
    "Find news about llama.cpp online.",
    "Hello! How are you?",
]


def test_every_reply_is_a_valid_call_or_an_answer(
    llama: LlamaCppProvider, store: Store, project: Path
) -> None:
    settings = load_settings()
    registry = registry_for(settings)
    from assistant.tools.base import ToolContext

    specs = registry.specs(ToolContext(settings=settings, project_root=project))
    options = GenerationOptions(max_tokens=96, temperature=0.7, seed=3, tools=specs)
    calls = 0
    for prompt in PROMPTS:
        messages = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": prompt}]
        items = list(llama.stream(messages, options, threading.Event()))  # type: ignore[arg-type]
        made = [i for i in items if isinstance(i, ToolCall)]
        text = "".join(i for i in items if isinstance(i, str))
        assert made or text.strip(), f"neither a call nor an answer for {prompt!r}"
        for call in made:
            tool = registry.get(call.name)
            assert tool is not None
            tool.args.model_validate(call.arguments)  # arguments match the tool's schema
            calls += 1
    assert calls >= 2


def test_the_next_turn_extends_the_previous_prompt(llama: LlamaCppProvider) -> None:
    """KV-cache reuse: with tools offered, turn 2's prompt starts with turn 1's."""
    from providers.base import ToolSpec

    tools = (ToolSpec("read_file", "Read a file.",
                      {"type": "object", "properties": {"path": {"type": "string"}}}),)
    first = [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}]
    second = [*first, {"role": "assistant", "content": "Hello!"},
              {"role": "user", "content": "more"}]
    p1 = llama.format_prompt(first, tools)  # type: ignore[arg-type]
    p2 = llama.format_prompt(second, tools)  # type: ignore[arg-type]
    assert p2.startswith(p1)


@pytest.mark.parametrize("prompt", ["hello", "Say hi.", "What is 2+2?"])
def test_with_default_settings_a_greeting_gets_a_plain_answer_and_no_tool(
    llama: LlamaCppProvider, store: Store, project: Path, prompt: str
) -> None:
    """[tools] offer = "auto": SmolLM2 cannot call tools reliably, so it is offered none."""
    assert llama.calls_tools_reliably is False
    settings = load_settings(temperature=0.0, seed=7, max_tokens=48)
    orch = Orchestrator(settings, store, provider_factory=lambda _s: llama,
                        tools=registry_for(settings), project_root=project)
    events = list(orch.run_turn(prompt))
    assert not any(isinstance(e, ToolCallEvent) for e in events)
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.status == "complete" and done.content.strip()
    assert not done.content.lstrip().startswith((".", "{"))


@pytest.mark.parametrize("prompt", ["hello", "Say hi.", "What is 2+2?", "Good morning!"])
def test_forced_tools_leave_a_greeting_without_a_call(
    llama: LlamaCppProvider, store: Store, project: Path, prompt: str
) -> None:
    settings = load_settings(temperature=0.0, seed=7, max_tokens=48, tools={"offer": "always"})
    orch = Orchestrator(settings, store, provider_factory=lambda _s: llama,
                        tools=registry_for(settings), project_root=project)
    events = list(orch.run_turn(prompt))
    assert not any(isinstance(e, ToolCallEvent) for e in events)
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert done.content.strip() and not done.content.lstrip().startswith((".", "{"))
