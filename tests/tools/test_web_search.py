"""web_search: ddgs replaced at its boundary (recorded result shapes, rate limits, offline
errors), SearXNG against a real local HTTP server, and the SQLite cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ddgs
import pytest
from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

from assistant.config import Settings, load_settings
from assistant.errors import ToolError
from assistant.store import Store
from assistant.tools import web_search
from assistant.tools.base import ToolContext
from assistant.tools.registry import Registry
from assistant.tools.web_search import TOOL, search
from providers.base import ToolCall
from tests.tools.servers import Server, reply

# The shape DDGS().text returns (recorded from ddgs 9).
RECORDED = [
    {
        "title": "Welcome to Python.org",
        "href": "https://www.python.org/",
        "body": "The official home of the Python Programming Language.",
    },
    {
        "title": "Python (programming language) - Wikipedia",
        "href": "https://en.wikipedia.org/wiki/Python_(programming_language)",
        "body": "Python is a high-level,\n general-purpose programming language.",
    },
    {"title": "no link", "href": "", "body": "dropped"},
]


class FakeDDGS:
    """Stands in for ``ddgs.DDGS``: each ``text`` call takes the next scripted outcome."""

    outcomes: list[Any] = []
    calls: list[dict[str, Any]] = []

    def __init__(self, timeout: int | None = 5, **_kw: Any) -> None:
        self.timeout = timeout

    def text(self, query: str, **kwargs: Any) -> list[dict[str, Any]]:
        FakeDDGS.calls.append({"query": query, "timeout": self.timeout, **kwargs})
        outcome = FakeDDGS.outcomes.pop(0) if FakeDDGS.outcomes else RECORDED
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@pytest.fixture(autouse=True)
def fake_ddgs(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeDDGS]]:
    FakeDDGS.outcomes = []
    FakeDDGS.calls = []
    monkeypatch.setattr(ddgs, "DDGS", FakeDDGS)
    monkeypatch.setattr(web_search, "BACKOFF_SECONDS", 0.01)
    yield FakeDDGS


def test_results_have_title_url_snippet(settings: Settings) -> None:
    results = search("python", settings, max_results=5)
    assert results.backend == "ddgs" and not results.cached
    assert [h.url for h in results.results] == [
        "https://www.python.org/",
        "https://en.wikipedia.org/wiki/Python_(programming_language)",
    ]
    snippet = "Python is a high-level, general-purpose programming language."
    assert results.results[1].snippet == snippet
    assert FakeDDGS.calls[0]["max_results"] == 5 and FakeDDGS.calls[0]["query"] == "python"
    text = results.for_model()
    assert text.startswith('Web results for "python":\n1. Welcome to Python.org')
    assert "   https://www.python.org/" in text


def test_rate_limit_is_retried_once(settings: Settings) -> None:
    FakeDDGS.outcomes = [RatelimitException("202 Ratelimit"), RECORDED]
    assert len(search("python", settings).results) == 2
    assert len(FakeDDGS.calls) == 2


def test_persistent_rate_limit_is_a_clear_error(settings: Settings) -> None:
    FakeDDGS.outcomes = [RatelimitException("202 Ratelimit")] * 2
    with pytest.raises(ToolError, match="rate limiting; try again in a minute"):
        search("python", settings)
    assert len(FakeDDGS.calls) == 2


OFFLINE_ERRORS = [
    # what ddgs 9 raised on this offline machine
    DDGSException(DDGSException(
        "DNSError: DNSError('error sending request for url (https://www.mojeek.com/search?"
        "q=python) > error resolving DNS > DNS error: no records found for Query { name: "
        'Name("www.mojeek.com."), query_type: A, query_class: IN }\')'
    )),
    DDGSException("ConnectError: failed to lookup address information: "
                  "Temporary failure in name resolution"),
    OSError(101, "Network is unreachable"),
]


@pytest.mark.parametrize("error", OFFLINE_ERRORS)
def test_offline_fails_fast_without_retry(settings: Settings, error: Exception) -> None:
    FakeDDGS.outcomes = [error]
    with pytest.raises(ToolError) as info:
        search("python", settings)
    assert str(info.value) == "web search failed: cannot reach the network"
    assert len(FakeDDGS.calls) == 1


def test_timeouts_and_other_errors(settings: Settings) -> None:
    FakeDDGS.outcomes = [TimeoutException("timed out")] * 2
    with pytest.raises(ToolError, match="did not answer in time"):
        search("a", settings)
    FakeDDGS.outcomes = [ValueError("odd\nfailure")] * 2
    with pytest.raises(ToolError, match="web search failed: ValueError: odd failure"):
        search("b", settings)


def test_no_results_is_not_an_error(settings: Settings) -> None:
    FakeDDGS.outcomes = [DDGSException("No results found.")]
    results = search("qwxzzy", settings)
    assert results.results == [] and results.for_model() == 'No web results for "qwxzzy".'


def test_results_are_cached(settings: Settings, store: Store) -> None:
    first = search("Python  docs", settings, store)
    second = search("python docs", settings, store)
    assert len(FakeDDGS.calls) == 1
    assert second.cached and second.results == first.results
    search("python docs", settings, store, max_results=3)  # another size: another key
    assert len(FakeDDGS.calls) == 2


def test_cache_ttl_zero_and_errors_are_not_cached(store: Store) -> None:
    settings = load_settings(tools={"search_cache_seconds": 0})
    search("x", settings, store)
    search("x", settings, store)
    assert len(FakeDDGS.calls) == 2


# -- SearXNG as the second backend -------------------------------------------------------


@pytest.fixture
def searxng() -> Iterator[Server]:
    server = Server()
    server.routes["/search"] = lambda h: reply(
        h,
        json.dumps(
            {
                "query": "python",
                "results": [
                    {"title": "Python", "url": "https://python.org/", "content": "Home"},
                    {"title": "Docs", "url": "https://docs.python.org/", "content": "Docs"},
                    {"title": "bad"},
                ],
            }
        ),
        content_type="application/json",
    )
    yield server
    server.close()


def test_searxng_answers_when_ddgs_fails(searxng: Server) -> None:
    settings = load_settings(tools={"searxng_url": searxng.url("/")})
    FakeDDGS.outcomes = [RatelimitException("ratelimit")] * 2
    results = search("python", settings, max_results=5)
    assert results.backend == "searxng"
    assert [h.title for h in results.results] == ["Python", "Docs"]
    query = parse_qs(urlsplit(searxng.requests[0]["path"]).query)
    assert query == {"q": ["python"], "format": ["json"]}


def test_searxng_not_asked_when_ddgs_works(searxng: Server) -> None:
    settings = load_settings(tools={"searxng_url": searxng.url("/")})
    assert search("python", settings).backend == "ddgs"
    assert searxng.requests == []


def test_both_backends_failing(searxng: Server) -> None:
    searxng.routes["/search"] = lambda h: reply(h, "forbidden", 403, "text/plain")
    settings = load_settings(tools={"searxng_url": searxng.url("/")})
    FakeDDGS.outcomes = [TimeoutException("timed out")] * 2
    with pytest.raises(ToolError, match="web search failed: SearXNG answered HTTP 403"):
        search("python", settings)


def test_searxng_unreachable_and_offline(settings: Settings) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings = load_settings(tools={"searxng_url": f"http://127.0.0.1:{port}"})
    FakeDDGS.outcomes = [OSError("Network is unreachable")]
    with pytest.raises(ToolError) as info:
        search("python", settings)
    assert str(info.value) == "web search failed: cannot reach the network"


# -- as a tool --------------------------------------------------------------------------


def test_web_search_tool(settings: Settings, store: Store) -> None:
    registry = Registry(settings)
    registry.register(TOOL)
    ctx = ToolContext(settings=settings, store=store)
    yes = lambda _t, _a: True  # noqa: E731 - the model's call, approved by the user
    event = registry.run(ToolCall("c1", "web_search", {"query": "python", "max_results": 1}),
                         ctx, approve=yes)
    assert event.ok and "python.org" in event.content
    assert FakeDDGS.calls[-1]["max_results"] == 1
    FakeDDGS.outcomes = [DDGSException("error sending request: dns error")]
    failed = registry.run(ToolCall("c2", "web_search", {"query": "other"}), ctx,
                          approve=lambda _t, _a: True)
    assert not failed.ok and failed.content == "web search failed: cannot reach the network"
    bad = registry.run(ToolCall("c3", "web_search", {"query": "x", "max_results": 99}), ctx)
    assert not bad.ok and "max_results" in bad.content
