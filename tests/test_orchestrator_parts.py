"""The orchestrator's parts alone: prompt budgeting, a turn's state, recording, and the
capabilities every provider states (providers.base.Provider)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from assistant.config import load_settings
from assistant.errors import ContextOverflowError, HostedDeclinedError
from assistant.events import ContextEvent, StatusEvent, TokenEvent
from assistant.orchestrator.budget import (
    NO_ROOM,
    PromptBudget,
    ToolsCost,
    history_turns,
    reserve_for,
)
from assistant.orchestrator.record import provider_of, save_turn, timings_of
from assistant.orchestrator.state import TurnState, combined, options_for
from assistant.orchestrator.steps import tool_call_error
from assistant.server.turns import RequestProvider
from assistant.store import Store
from providers.base import (
    ChatMessage,
    Finish,
    GenerationOptions,
    Provider,
    ToolCall,
    ToolSpec,
)
from providers.router import RouterProvider
from tests.support.scripted import ScriptedProvider

SPEC = ToolSpec("read_file", "Read a file of the project.", {"type": "object", "properties": {}})


def _history(turns: int) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for i in range(turns):
        out.append({"role": "user", "content": f"question {i} " + "word " * 20})
        out.append({"role": "assistant", "content": f"answer {i} " + "word " * 20})
    out.append({"role": "user", "content": "the latest question"})
    return out


def _budget(context_size: int = 4096, max_tokens: int = 64) -> PromptBudget:
    return PromptBudget(
        ScriptedProvider(context_size=context_size), "You help.", max_tokens, ToolsCost()
    )


# -- budget ----------------------------------------------------------------------------------


def test_the_reserve_is_a_quarter_of_the_context_within_max_tokens() -> None:
    assert reserve_for(1024, 4096) == 1024
    assert reserve_for(100, 4096) == 100
    assert reserve_for(1024, 128) == 64  # never less than 64


def test_fit_keeps_everything_that_fits() -> None:
    fitted = _budget().fit(_history(2))
    assert fitted.dropped == 0
    assert fitted.messages[0] == {"role": "system", "content": "You help."}
    assert fitted.messages[-1]["content"] == "the latest question"


def test_fit_drops_the_oldest_turns_first_and_never_starts_with_an_answer() -> None:
    budget = _budget(context_size=130, max_tokens=64)
    fitted = budget.fit(_history(3))
    assert fitted.dropped > 0 and fitted.dropped % 2 == 0
    assert fitted.messages[1]["role"] == "user"
    assert fitted.prompt_tokens + budget.reserve(130) <= 130


def test_fit_raises_when_even_the_latest_message_does_not_fit() -> None:
    with pytest.raises(ContextOverflowError, match="shorten it"):
        _budget(context_size=80).fit([{"role": "user", "content": "word " * 100}])


def test_offered_tools_count_and_their_cost_is_cached() -> None:
    provider = ScriptedProvider()
    cost = ToolsCost()
    budget = PromptBudget(provider, "You help.", 64, cost)
    plain = budget.fit(_history(0))
    with_tools = budget.fit(_history(0), tools=(SPEC,))
    assert with_tools.prompt_tokens == plain.prompt_tokens + cost.tokens(provider, (SPEC,)) > 0
    asked: list[int] = []
    real = provider.count_tokens
    provider.count_tokens = lambda m: asked.append(1) or real(m)  # type: ignore[method-assign]
    cost.tokens(provider, (SPEC,))
    assert asked == []  # the same set again: not counted again


def test_refit_removes_old_tool_results_then_gives_up() -> None:
    budget = _budget(context_size=200, max_tokens=64)
    call = ToolCall("c1", "read_file", {"path": "a.py"})
    scratch: list[ChatMessage] = [
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "line " * 400, "tool_call_id": "c1", "name": "read_file"},
    ]
    gen = budget.refit(_history(0), None, scratch, ())
    events: list[object] = []
    try:
        while True:
            events.append(next(gen))
    except StopIteration as stop:
        fitted = stop.value
    assert any(isinstance(e, StatusEvent) for e in events)
    assert fitted is not NO_ROOM and fitted.tail  # the result replaced by a short note
    tight = _budget(context_size=70, max_tokens=64)
    gen = tight.refit(_history(0), None, [], ())
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value is NO_ROOM


def test_history_joins_unanswered_questions_and_skips_tool_rows(store: Store) -> None:
    session = store.create_session("t").id
    store.add_message(session, "user", "first")
    store.add_message(session, "user", "second")
    store.add_message(session, "assistant", "answer")
    assert history_turns(store.messages(session)) == [
        {"role": "user", "content": "first\n\nsecond"},
        {"role": "assistant", "content": "answer"},
    ]


# -- a turn's state and its record -----------------------------------------------------------


def _state() -> TurnState:
    fitted = _budget().fit(_history(0))
    context = ContextEvent(messages=2, prompt_tokens=fitted.prompt_tokens, context_size=4096,
                           dropped_messages=0, model="scripted")
    return TurnState(fitted=fitted, options=GenerationOptions(), context=context,
                     history=_history(0))


def test_text_after_a_tool_step_starts_a_paragraph() -> None:
    state = _state()
    step: list[str] = []
    assert [e.text for e in state.add_text("Hi", step)] == ["Hi"]
    state.new_step()
    events = list(state.add_text("Then", []))
    assert [e.text for e in events if isinstance(e, TokenEvent)] == ["\n\n", "Then"]
    assert state.pieces == ["Hi", "\n\n", "Then"] and state.first is not None


def test_a_stopped_loop_without_text_says_why_and_finishes_as_tool_limit() -> None:
    state = _state()
    state.finishes += [Finish("tool_calls", 10, 3), Finish("stop", 20, 4)]
    state.stopped = "stopped after 1 tool call(s)"
    assert state.answer_pieces() == ["[stopped after 1 tool call(s)]"]
    assert state.finish() == Finish("tool_limit", 20, 7)
    assert combined([], None) is None
    state.step_first = 1.0
    assert state.rate() == (4, 1.0)


def test_timings() -> None:
    t = timings_of(start=0.0, end=2.0, first=0.5, decoded=11, since=1.0)
    assert (t.ttft_ms, t.tokens_per_s, t.total_ms) == (500.0, 10.0, 2000.0)
    assert timings_of(0.0, 1.0, None, 0, None).ttft_ms is None


def test_save_turn_records_the_answer_as_it_stands(store: Store) -> None:
    session = store.create_session("t").id
    state = _state()
    list(state.add_text("partial", []))
    state.status = "cancelled"
    done = save_turn(store, ScriptedProvider(), session, state)
    saved = store.messages(session)[-1]
    assert (saved.content, saved.status, saved.finish_reason) == ("partial", "cancelled",
                                                                  "cancelled")
    assert done.provider == "local" and done.cost_usd is None


def test_options_follow_the_settings() -> None:
    options = options_for(load_settings(max_tokens=77), (SPEC,))
    assert options.max_tokens == 77 and options.tools == (SPEC,)


def test_a_call_nobody_offered_names_the_tools() -> None:
    calls = [ToolCall("1", "a", {}), ToolCall("2", "b", {}), ToolCall("3", "a", {})]
    assert "the tools 'a', 'b'" in tool_call_error(ScriptedProvider(), calls)


# -- provider capabilities -------------------------------------------------------------------


class _Minimal(Provider):
    name = "minimal"
    loaded = True
    context_size = 100
    loads = 0

    def load(self) -> None:
        self.loads += 1

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return 1

    def stream(self, messages: list[ChatMessage], options: GenerationOptions,
               cancel: threading.Event) -> Iterator[str | ToolCall | Finish]:
        yield Finish("stop", 1, 0)

    def close(self) -> None:
        pass


def test_a_provider_gets_documented_defaults_for_what_it_may_do() -> None:
    p = _Minimal()
    assert p.active is p and p.template_note is None and p.hosted_provider is None
    assert p.calls_tools_reliably and p.take_notes() == [] and p.cost(10, 10) is None
    assert p.route([], lambda n: 0) is None
    p.warm_up([])
    assert p.loads == 1  # warming up a provider that cannot: loading it
    assert provider_of(p) == "local"


def test_a_provider_missing_a_required_member_cannot_be_made() -> None:
    class Broken(Provider):
        name = "broken"

    with pytest.raises(TypeError):
        Broken()  # type: ignore[abstract]


def test_the_request_provider_states_the_shared_providers_capabilities() -> None:
    inner = ScriptedProvider()
    wrapped = RequestProvider(inner)
    assert wrapped.active is wrapped  # answers itself, with the request's tools applied
    router = RouterProvider("local", lambda: inner, None)
    via_router = RequestProvider(router)
    assert via_router.active is inner
    assert via_router.calls_tools_reliably and via_router.hosted_provider is None


def test_a_router_asks_a_turns_confirmation_for_that_turn_only() -> None:
    router = RouterProvider("fallback", lambda: ScriptedProvider(fail_load="no GGUF"),
                            lambda: ScriptedProvider(["from the cloud"]))
    messages: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    with pytest.raises(HostedDeclinedError):
        router.route(messages, lambda n: 0, lambda preview: False)
    router.route(messages, lambda n: 0)  # the next turn has none: it goes as policy says
    assert any("sending this turn to" in note for note in router.take_notes())
