"""TokenBatcher: tokens close together are joined, nothing is lost or reordered."""

from __future__ import annotations

from assistant.events import DoneEvent, StatusEvent, TokenEvent
from tui.turn import TokenBatcher


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_first_token_passes_at_once_and_close_ones_are_joined() -> None:
    clock = FakeClock()
    batcher = TokenBatcher(interval=0.1, clock=clock)
    assert batcher.feed(TokenEvent("Hello")) == [TokenEvent("Hello")]
    clock.now += 0.02
    assert batcher.feed(TokenEvent(" wide")) == []
    clock.now += 0.02
    assert batcher.feed(TokenEvent(" world")) == []
    clock.now += 0.1
    assert batcher.feed(TokenEvent("!")) == [TokenEvent(" wide world!")]


def test_other_events_flush_pending_tokens_first() -> None:
    clock = FakeClock()
    batcher = TokenBatcher(interval=1.0, clock=clock)
    batcher.feed(TokenEvent("a"))
    assert batcher.feed(TokenEvent("b")) == []
    assert batcher.feed(StatusEvent("note")) == [TokenEvent("b"), StatusEvent("note")]
    assert batcher.feed(DoneEvent("s")) == [DoneEvent("s")]
    assert batcher.flush() == []


def test_slow_tokens_are_never_held_back() -> None:
    clock = FakeClock()
    batcher = TokenBatcher(interval=0.05, clock=clock)
    for word in ["one", " two", " three"]:
        clock.now += 0.5
        assert batcher.feed(TokenEvent(word)) == [TokenEvent(word)]
