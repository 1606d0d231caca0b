"""web_search: results (title, url, snippet) from ``ddgs`` (the renamed duckduckgo-search),
with a SearXNG instance (``[tools] searxng_url``) as a second backend.

A failed search is retried once after a short backoff (not when the machine is offline: that
fails fast); when every backend fails the model gets one clear line ("web search failed:
cannot reach the network"). Results are cached in the store for ``search_cache_seconds``.
``ddgs`` is imported only when a search runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.errors import ToolError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 1.5
BACKEND_TIMEOUT = 10.0  # seconds one backend may take (capped by the deadline)
_OFFLINE_HINTS = (
    "name resolution", "nodename", "getaddrinfo", "name or service", "dns", "resolve",
    "network is unreachable", "no route to host", "connection refused", "connecterror",
    "connect error", "failed to connect", "could not connect", "error sending request",
)
_NO_RESULTS = "no results found"


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    snippet: str


@dataclass(frozen=True)
class SearchResults:
    query: str
    backend: str  # "ddgs", "searxng" or "" (no results)
    results: list[SearchHit] = field(default_factory=list)
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def for_model(self) -> str:
        if not self.results:
            return f'No web results for "{self.query}".'
        lines = [f'Web results for "{self.query}":']
        for i, hit in enumerate(self.results, 1):
            lines.append(f"{i}. {hit.title}\n   {hit.url}")
            if hit.snippet:
                lines.append(f"   {hit.snippet}")
        return "\n".join(lines)


class _Failure(Exception):
    """One backend's failure, classified."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # "offline" | "ratelimit" | "timeout" | "error"
        self.detail = detail


def _classify(exc: BaseException) -> _Failure:
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    try:
        from ddgs.exceptions import RatelimitException, TimeoutException
    except ImportError:  # pragma: no cover - ddgs is a dependency
        RatelimitException = TimeoutException = ()  # type: ignore[assignment]  # noqa: N806
    text = detail.lower()
    if isinstance(exc, RatelimitException) or "ratelimit" in text or "429" in text:
        return _Failure("ratelimit", detail)
    if isinstance(exc, OSError) or any(hint in text for hint in _OFFLINE_HINTS):
        return _Failure("offline", detail)
    if isinstance(exc, TimeoutException | TimeoutError) or "timed out" in text:
        return _Failure("timeout", detail)
    return _Failure("error", detail)


def _clean(text: Any) -> str:
    return " ".join(str(text or "").split())


def _ddgs(query: str, max_results: int, timeout: float) -> list[SearchHit]:
    from ddgs import DDGS

    try:
        rows = DDGS(timeout=max(1, round(timeout))).text(query, max_results=max_results)
    except Exception as exc:
        if _NO_RESULTS in str(exc).lower():
            return []
        raise _classify(exc) from None
    return [
        SearchHit(_clean(r.get("title")), str(r.get("href") or r.get("url") or ""),
                  _clean(r.get("body") or r.get("snippet")))
        for r in rows or []
        if r.get("href") or r.get("url")
    ][:max_results]


def _searxng(base_url: str, query: str, max_results: int, timeout: float) -> list[SearchHit]:
    import httpx

    url = base_url.rstrip("/") + "/search"
    try:
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=True) as client:
            response = client.get(url, params={"q": query, "format": "json"},
                                  headers={"Accept": "application/json"})
        if response.status_code == 429:
            raise _Failure("ratelimit", f"SearXNG answered HTTP 429 at {base_url}")
        if response.status_code >= 400:
            hint = ""
            if response.status_code == 403:
                hint = " (is format=json enabled in its settings?)"
            raise _Failure("error", f"SearXNG answered HTTP {response.status_code}{hint}")
        data = response.json()
    except _Failure:
        raise
    except ValueError:
        raise _Failure("error", f"SearXNG at {base_url} did not answer with JSON") from None
    except httpx.TimeoutException:
        raise _Failure("timeout", f"SearXNG at {base_url} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise _Failure("offline", f"cannot reach SearXNG at {base_url}: {exc}") from None
    rows = data.get("results", []) if isinstance(data, dict) else []
    return [
        SearchHit(_clean(r.get("title")), str(r.get("url")), _clean(r.get("content")))
        for r in rows
        if isinstance(r, dict) and r.get("url")
    ][:max_results]


_MESSAGES = {
    "offline": "web search failed: cannot reach the network",
    "ratelimit": "web search failed: the search engines are rate limiting; try again in a minute",
    "timeout": "web search failed: the search engines did not answer in time",
}


def search(
    query: str,
    settings: Settings,
    store: Store | None = None,
    *,
    max_results: int = 5,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
    use_cache: bool = True,
) -> SearchResults:
    """Search the web; raises ToolError with one line when every backend failed."""
    query = " ".join(query.split())
    if not query:
        raise ToolError("web search needs a query")
    cfg = settings.tools
    cancel = cancel or threading.Event()
    key = f"search:{max_results}:{query.lower()}"
    if store is not None and use_cache:
        hit = store.cache_get(key)
        if hit is not None:
            data = json.loads(hit)
            hits = [SearchHit(**h) for h in data["results"]]
            return SearchResults(data["query"], data["backend"], hits, cached=True)

    def left() -> float:
        return BACKEND_TIMEOUT if deadline is None else min(
            BACKEND_TIMEOUT, deadline - time.monotonic()
        )

    failures: list[_Failure] = []
    results: SearchResults | None = None
    for attempt in range(2):
        if cancel.is_set():
            raise ToolError("web search cancelled")
        if left() <= 0.5:
            break
        try:
            results = SearchResults(query, "ddgs", _ddgs(query, max_results, left()))
            break
        except _Failure as failure:
            log.info("ddgs search failed (attempt %d): %s", attempt + 1, failure.detail)
            failures.append(failure)
            if failure.kind == "offline":
                break  # no point waiting: DNS or the route is down
            if attempt == 0 and cancel.wait(min(BACKOFF_SECONDS, max(0.0, left() - 1))):
                raise ToolError("web search cancelled") from None
    if results is None and cfg.searxng_url and not cancel.is_set() and left() > 0.5:
        try:
            hits = _searxng(cfg.searxng_url, query, max_results, left())
            results = SearchResults(query, "searxng", hits)
        except _Failure as failure:
            log.info("SearXNG search failed: %s", failure.detail)
            failures.append(failure)
    if results is None:
        raise ToolError(_failure_message(failures))
    if store is not None and use_cache and results.results:
        store.cache_put(key, "search", json.dumps(results.to_dict()), cfg.search_cache_seconds)
    return results


def _failure_message(failures: list[_Failure]) -> str:
    if not failures:
        return "web search failed: no time left to search"
    kinds = {f.kind for f in failures}
    for kind in ("ratelimit", "timeout", "offline"):
        if kinds == {kind}:
            return _MESSAGES[kind]
    if "ratelimit" in kinds:
        return _MESSAGES["ratelimit"]
    last = failures[-1]
    return f"web search failed: {last.detail[:200]}"


class SearchArgs(BaseModel):
    query: str = Field(min_length=1, max_length=500, description="What to search the web for.")
    max_results: int = Field(default=5, ge=1, le=20, description="How many results (1-20).")


def _run(args: SearchArgs, ctx: ToolContext) -> ToolOutput:
    results = search(
        args.query,
        ctx.settings,
        ctx.store,
        max_results=args.max_results,
        deadline=ctx.deadline,
        cancel=ctx.cancel,
    )
    return ToolOutput(results.for_model(), data=results.to_dict())


TOOL = Tool(
    name="web_search",
    description="Search the web. Returns titles, URLs and short snippets; read a page with "
    "fetch_url.",
    args=SearchArgs,
    risk=Risk.NETWORK,
    run=_run,
)
