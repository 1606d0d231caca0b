"""The server's parts on their own: message reconciliation, the per-request provider (stop
sequences, client tools), and the model queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from assistant.model_queue import ModelQueue, QueueFullError
from assistant.server.reconcile import MessagesError, parse_messages, reconcile
from assistant.server.turns import RequestProvider
from assistant.store import Store
from providers.base import ChatMessage, Finish, GenerationOptions, ToolCall, ToolSpec
from tests.support.scripted import ScriptedProvider

# -- reconcile --------------------------------------------------------------------------------


def test_parse_splits_system_history_and_prompt() -> None:
    conv = parse_messages([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": [{"type": "text", "text": "c"}, {"type": "image_url"}]},
        {"role": "user", "content": "d"},
    ])
    assert conv.system == "Be brief."
    assert conv.turns == [("user", "a"), ("assistant", "b")]
    assert conv.prompt == "c\n\nd"


def test_a_tool_result_becomes_the_prompt() -> None:
    conv = parse_messages([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "rain"},
    ])
    assert conv.turns[0] == ("user", "weather?")
    assert conv.turns[1][0] == "assistant" and "weather" in conv.turns[1][1]
    assert conv.prompt == "Result of weather:\nrain"


@pytest.mark.parametrize("messages, problem", [
    ([], "at least one"),
    ([{"role": "assistant", "content": "x"}], "last message"),
    ([{"role": "robot", "content": "x"}], "role"),
    (["hi"], "must be an object"),
    ([{"role": "user", "content": 5}], "content"),
])
def test_unusable_message_lists_say_why(messages: list, problem: str) -> None:
    with pytest.raises(MessagesError, match=problem):
        parse_messages(messages)


def test_reconcile_new_continue_append_and_fork(store: Store) -> None:
    first = parse_messages([{"role": "user", "content": "one"}])
    sid = reconcile(store, None, first)
    assert store.get_session(sid).title == "one" and store.messages(sid) == []
    store.add_message(sid, "user", "one")
    store.add_message(sid, "assistant", "two")
    # Full history matching the store: nothing added.
    same = parse_messages([{"role": "user", "content": "one"},
                           {"role": "assistant", "content": "two "},
                           {"role": "user", "content": "three"}])
    assert reconcile(store, sid, same) == sid
    assert len(store.messages(sid)) == 2
    # Just the new message: the stored history stands.
    assert reconcile(store, sid[:6], parse_messages([{"role": "user", "content": "x"}])) == sid
    # A longer history with the stored one as its prefix: the missing turns are added.
    longer = parse_messages([{"role": "user", "content": "one"},
                             {"role": "assistant", "content": "two"},
                             {"role": "user", "content": "three"},
                             {"role": "assistant", "content": "four"},
                             {"role": "user", "content": "five"}])
    assert reconcile(store, sid, longer) == sid
    assert [m.content for m in store.messages(sid)] == ["one", "two", "three", "four"]
    # A different history: a new session, the stored one untouched.
    edited = parse_messages([{"role": "user", "content": "ONE"},
                             {"role": "assistant", "content": "two"},
                             {"role": "user", "content": "three"}])
    fork = reconcile(store, sid, edited)
    assert fork != sid
    assert [m.content for m in store.messages(fork)] == ["ONE", "two"]
    assert [m.content for m in store.messages(sid)] == ["one", "two", "three", "four"]


# -- the per-request provider -----------------------------------------------------------------


def _run(provider: RequestProvider, cancel: threading.Event | None = None) -> tuple[str, Finish]:
    pieces, finish = [], None
    for item in provider.stream([{"role": "user", "content": "x"}], GenerationOptions(),
                                cancel or threading.Event()):
        if isinstance(item, Finish):
            finish = item
        else:
            pieces.append(item)
    assert finish is not None
    return "".join(pieces), finish


def test_stop_sequences_cut_the_text_even_across_pieces() -> None:
    inner = ScriptedProvider(["alpha beta gamma END delta epsilon"])
    text, finish = _run(RequestProvider(inner, stop=("a E", "nothing")))
    assert text == "alpha beta gamm" and finish.reason == "stop"
    text, finish = _run(RequestProvider(inner, stop=("zzz",)))
    assert text == "alpha beta gamma END delta epsilon" and finish.reason == "stop"


class _ToolCaller(ScriptedProvider):
    """Calls the first offered tool, then finishes with reason tool_calls."""

    def stream(self, messages: list[ChatMessage], options: GenerationOptions,
               cancel: threading.Event) -> Iterator[str | ToolCall | Finish]:
        self.offered = options.tools
        if options.tools:
            yield ToolCall("call_1", options.tools[0].name, {"city": "Oslo"})
            yield Finish("tool_calls", 5, 3)
        else:
            yield from super().stream(messages, options, cancel)


def test_client_tools_are_offered_and_calls_collected_not_passed_on() -> None:
    inner = _ToolCaller()
    calls: list[ToolCall] = []
    spec = ToolSpec("weather", "Weather for a city", {"type": "object", "properties": {}})
    text, finish = _run(RequestProvider(inner, tools=(spec,), on_tool_call=calls.append))
    assert inner.offered == (spec,)
    assert calls == [ToolCall("call_1", "weather", {"city": "Oslo"})]
    assert text == "" and finish.reason == "tool_calls"
    # No tools from the client: none offered (Fireside's own tools are not the client's).
    _run(RequestProvider(inner))
    assert inner.offered == ()


def test_the_request_provider_never_closes_the_shared_one() -> None:
    inner = ScriptedProvider()
    inner.load()
    RequestProvider(inner).close()
    assert inner.loaded and RequestProvider(inner).name == "scripted"


# -- the queue --------------------------------------------------------------------------------


def test_the_queue_is_first_come_first_served_and_bounded() -> None:
    queue = ModelQueue(2)
    running = queue.admit()
    assert running.wait()
    a, b = queue.admit(), queue.admit()
    with pytest.raises(QueueFullError) as caught:
        queue.admit()
    assert caught.value.retry_after >= 1
    keyboard = queue.admit(bounded=False)  # the TUI's user is never refused
    order: list[str] = []

    def take(name: str, ticket: object) -> None:
        assert ticket.wait()  # type: ignore[attr-defined]
        order.append(name)
        time.sleep(0.01)
        ticket.release()  # type: ignore[attr-defined]

    threads = [threading.Thread(target=take, args=(n, t))
               for n, t in (("keyboard", keyboard), ("b", b), ("a", a))]
    for t in threads:
        t.start()
    time.sleep(0.05)
    assert order == []  # all wait for the running one
    running.release()
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "keyboard"]
    assert queue.running == 0 and queue.waiting == 0


def test_a_cancelled_waiter_leaves_the_line() -> None:
    queue = ModelQueue(1)
    running = queue.admit()
    running.wait()
    waiter = queue.admit()
    cancel = threading.Event()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(waiter.wait(cancel)))
    thread.start()
    cancel.set()
    thread.join(5)
    assert result == [False] and queue.waiting == 0
    queue.admit()  # room again
    waiter.abandon()
    running.release()
