"""The sources an answer used are saved with it, in order, and go with their chat."""

from __future__ import annotations

from assistant.events import Source
from assistant.store import Store


def test_sources_are_kept_per_answer_in_rank_order(store: Store) -> None:
    session = store.create_session("q").id
    store.add_message(session, "user", "where is main?")
    first = store.add_message(session, "assistant", "in app.py")
    store.add_message(session, "user", "and tests?")
    second = store.add_message(session, "assistant", "none")
    sources = [
        Source("src/app.py", 10, 40, 0.9, "main"),
        Source("README.md", 1, 12, 0.5),
    ]
    store.add_message_sources(session, first, sources)
    store.add_message_sources(session, second, [])
    found = store.message_sources(session[:8])
    assert found == {first: sources}


def test_deleting_a_chat_deletes_its_sources(store: Store) -> None:
    session = store.create_session("q").id
    other = store.create_session("other").id
    answer = store.add_message(session, "assistant", "x")
    kept = store.add_message(other, "assistant", "y")
    store.add_message_sources(session, answer, [Source("a.py", 1, 2)])
    store.add_message_sources(other, kept, [Source("b.py", 3, 4)])
    store.delete_session(session)
    assert store.message_sources(other) == {kept: [Source("b.py", 3, 4)]}
