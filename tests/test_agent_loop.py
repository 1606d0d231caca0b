"""The agent loop with a scripted model and real tools (a real registry, a real SQLite store):
call → result → answer, what goes back to the model, limits, invalid calls, approval,
cancel during a tool, the context budget, persistence, and later turns."""

from __future__ import annotations

import threading
from typing import Any

from assistant.config import Settings, load_settings
from assistant.events import (
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    MessageDoneEvent,
    StatusEvent,
    TokenEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from tests.support.tool_scripted import (
    BIG,
    SLEEP,
    UPPER,
    WRITE,
    ToolScriptedProvider,
    call,
    tool_registry,
)


def make(store: Store, provider: ToolScriptedProvider, *tools: Any,
         settings: Settings | None = None) -> Orchestrator:
    settings = settings or load_settings()
    return Orchestrator(settings, store, provider_factory=lambda _s: provider,
                        tools=tool_registry(settings, *tools))


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def done_of(events: list[Any]) -> MessageDoneEvent:
    return of(events, MessageDoneEvent)[0]


def test_a_call_runs_and_the_model_answers_with_its_result(store: Store) -> None:
    provider = ToolScriptedProvider(
        ["Let me shout.", call("shout", text="hi there")], ["It says ", "HI THERE."])
    events = list(make(store, provider).run_turn("shout hi there"))
    kinds = [e.type for e in events if e.type not in ("status",)]
    assert kinds == ["context", "token", "tool_call", "tool_result", "token", "token", "token",
                     "message_done", "done"]
    assert of(events, ToolCallEvent)[0] == ToolCallEvent("call_1", "shout", {"text": "hi there"})
    result = of(events, ToolResultEvent)[0]
    assert (result.ok, result.content, result.step) == (True, "HI THERE", 1)
    # The tool was offered; the second request carries the call and its result.
    assert [t.name for t in provider.options[0].tools] == ["shout"]
    second = provider.requests[1]
    assert second[-2]["role"] == "assistant" and second[-2]["content"] == "Let me shout."
    assert second[-2]["tool_calls"][0].name == "shout"
    assert second[-1] == {"role": "tool", "content": "HI THERE", "tool_call_id": "call_1",
                          "name": "shout"}
    done = done_of(events)
    assert done.content == "Let me shout.\n\nIt says HI THERE."
    assert done.status == "complete" and done.finish_reason == "stop"
    assert done.usage.completion_tokens == 2 + 2  # both generations
    steps = store.tool_steps(done.session_id)
    assert [(s.step, s.name, s.arguments, s.ok, s.result, s.message_id) for s in steps] == [
        (1, "shout", {"text": "hi there"}, True, "HI THERE", done.message_id)]


def test_later_turns_send_the_answers_but_not_the_tool_steps(store: Store) -> None:
    provider = ToolScriptedProvider([call("shout", text="a")], ["A."], ["second answer"])
    orch = make(store, provider)
    first = done_of(list(orch.run_turn("one")))
    list(orch.run_turn("two", session_id=first.session_id))
    last = provider.requests[-1]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "user"]
    assert last[2]["content"] == "A." and "tool_calls" not in last[2]


def test_an_invalid_call_goes_back_once_then_the_loop_stops(store: Store) -> None:
    provider = ToolScriptedProvider(
        [call("nope", q="x")], [call("shout", "call_2", words=3)], ["Sorry."])
    events = list(make(store, provider).run_turn("go"))
    results = of(events, ToolResultEvent)
    assert [r.ok for r in results] == [False, False]
    assert results[0].content.startswith("unknown tool 'nope'")
    assert "available tools: shout" in results[0].content
    assert results[1].content.startswith("invalid arguments for shout")
    # The first error went back to the model as a tool result.
    assert provider.requests[1][-1]["is_error"] is True
    notes = [e.text for e in of(events, StatusEvent)]
    assert any("second invalid tool call" in n for n in notes)
    # One last generation without tools, given the steps as plain turns.
    assert provider.options[2].tools == ()
    assert all("tool_calls" not in m and m["role"] != "tool" for m in provider.requests[2])
    done = done_of(events)
    assert done.content == "Sorry." and done.finish_reason == "tool_limit"


def test_max_steps_ends_the_loop(store: Store) -> None:
    settings = load_settings(tools={"max_steps": 2})
    script = [[call("shout", f"c{i}", text=f"t{i}")] for i in range(5)] + [["Done."]]
    provider = ToolScriptedProvider(*script)
    events = list(make(store, provider, settings=settings).run_turn("go"))
    assert [e.step for e in of(events, ToolCallEvent)] == [1, 2]
    assert any("limit for one answer" in e.text for e in of(events, StatusEvent))
    assert provider.options[-1].tools == ()
    assert len(store.tool_steps(done_of(events).session_id)) == 2


def test_a_repeated_identical_call_stops_the_loop(store: Store) -> None:
    provider = ToolScriptedProvider(
        [call("shout", "a", text="x")], [call("shout", "b", text="x")], ["Answer."])
    events = list(make(store, provider).run_turn("go"))
    assert len(of(events, ToolCallEvent)) == 1
    assert any('asked for shout(text="x") again' in e.text for e in of(events, StatusEvent))
    assert done_of(events).content == "Answer."


def test_the_tool_time_budget_stops_a_slow_tool_and_the_loop(store: Store) -> None:
    settings = load_settings(tools={"max_tool_seconds": 0.2})
    provider = ToolScriptedProvider(
        [call("nap", "a", seconds=5)], [call("nap", "b", seconds=1)], ["ok"])
    events = list(make(store, provider, SLEEP, settings=settings).run_turn("go"))
    results = of(events, ToolResultEvent)
    assert len(results) == 1 and not results[0].ok
    assert "took too long" in results[0].content
    assert any("max_tool_seconds" in e.text for e in of(events, StatusEvent))


def test_cancel_while_a_tool_runs_ends_the_turn_as_stopped(store: Store) -> None:
    provider = ToolScriptedProvider([call("nap", seconds=30)], ["never"])
    orch = make(store, provider, SLEEP)
    cancel = threading.Event()
    events = []
    for event in orch.run_turn("go", cancel=cancel):
        events.append(event)
        if isinstance(event, ToolCallEvent):
            threading.Timer(0.1, cancel.set).start()
    result = of(events, ToolResultEvent)[0]
    assert not result.ok and "cancelled" in result.content
    assert result.duration_ms < 5000
    assert len(provider.requests) == 1  # nothing generated after the cancel
    assert done_of(events).status == "cancelled"
    assert isinstance(events[-1], DoneEvent)


def test_ask_tools_use_the_approver_and_refuse_without_one(store: Store) -> None:
    asked: list[tuple[str, dict]] = []

    def approve(tool: Any, arguments: dict) -> bool:
        asked.append((tool.name, arguments))
        return False

    provider = ToolScriptedProvider([call("scribble", text="x")], ["ok"])
    events = list(make(store, provider, WRITE).run_turn("go", approve=approve))
    assert asked == [("scribble", {"text": "x"})]
    assert "declined" in of(events, ToolResultEvent)[0].content
    provider = ToolScriptedProvider([call("scribble", text="y")], ["ok"])
    events = list(make(store, provider, WRITE).run_turn("go"))
    assert "approval" in of(events, ToolResultEvent)[0].content


def test_results_that_no_longer_fit_are_replaced_by_a_note(store: Store) -> None:
    settings = load_settings(max_tokens=64, tools={"result_tokens": 5000})
    provider = ToolScriptedProvider(
        [call("big", "a", words=150)], [call("big", "b", words=160)], ["fine"],
        context_size=400)
    events = list(make(store, provider, BIG, settings=settings).run_turn("go"))
    assert any("removed an earlier tool result" in e.text for e in of(events, StatusEvent))
    last = provider.requests[-1]
    assert last[-3]["content"].startswith("[result removed")
    assert provider.count_tokens(last) + 64 <= 400  # never over the context
    assert done_of(events).content == "fine"


def test_tools_off_for_a_turn_or_in_settings(store: Store) -> None:
    provider = ToolScriptedProvider(["plain"])
    list(make(store, provider).run_turn("go", tools=False))
    assert provider.options[-1].tools == ()
    settings = load_settings(tools={"enabled": False})
    list(make(store, provider, settings=settings).run_turn("go"))
    assert provider.options[-1].tools == ()


def test_a_context_too_small_for_the_tools_answers_without_them(store: Store) -> None:
    provider = ToolScriptedProvider(["plain"], context_size=110)
    events = list(make(store, provider, BIG, UPPER, SLEEP,
                       settings=load_settings(max_tokens=64)).run_turn("go"))
    assert provider.options[0].tools == ()
    assert any("no tools for this answer" in e.text for e in of(events, StatusEvent))
    assert not of(events, ErrorEvent)
    assert of(events, ContextEvent) and of(events, TokenEvent)


class _SlowAnswer(ToolScriptedProvider):
    """The answer after the tool step arrives 0.05 s a piece."""

    def stream(self, messages, options, cancel):  # noqa: ANN001, ANN201
        slow = len(self.requests) >= 1
        for item in super().stream(messages, options, cancel):
            if slow and isinstance(item, str):
                import time

                time.sleep(0.05)
            yield item


def test_answer_speed_counts_only_the_answer_generation(store: Store) -> None:
    provider = _SlowAnswer(["w"] * 30 + [call("shout", text="x")], ["a", "b", "c"])
    done = done_of(list(make(store, provider).run_turn("go")))
    assert done.usage.completion_tokens == 31 + 3  # usage still counts every step
    # 3 pieces 0.05 s apart: at most ~40 tok/s (it read ~200 counting the first step's 31).
    assert done.timings.tokens_per_s is not None and done.timings.tokens_per_s < 40
