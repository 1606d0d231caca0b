"""``fireside web`` and ``fireside fetch``: the web tools on their own, outside a chat."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer

from assistant.cli_exit import fail
from assistant.errors import FiresideError, StoreError

T = TypeVar("T")


@contextmanager
def _cancel_on_ctrl_c() -> Iterator[threading.Event]:
    """Ctrl+C sets the event (the tool stops at its next check); a second one interrupts."""
    cancel = threading.Event()
    previous: Any = None

    def on_sigint(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread (tests): no handler
        previous = None
    try:
        yield cancel
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _run(work: Callable[[Any, Any, threading.Event], T], use_cache: bool) -> T:
    from assistant.config import load_settings

    store = None
    try:
        settings = load_settings()
        if use_cache:
            from assistant.store import open_store

            try:
                store = open_store()
            except StoreError:
                store = None  # no cache then; the command still works
        with _cancel_on_ctrl_c() as cancel:
            result = work(settings, store, cancel)
            if cancel.is_set():
                raise fail("interrupted", 130)
            return result
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except FiresideError as exc:
        raise fail(str(exc), exc.exit_code) from None
    finally:
        if store is not None:
            store.close()


def web(
    query: Annotated[str, typer.Argument(help="What to search the web for.")],
    max_results: Annotated[
        int, typer.Option("--max-results", "-n", min=1, max=20, help="How many results.")
    ] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (query, backend, results).")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Search again even if a cached result exists.")
    ] = False,
) -> None:
    """Search the web (DuckDuckGo and friends through ddgs; SearXNG if configured).

    Prints each result's title, URL and snippet. Results are cached for
    [tools] search_cache_seconds.
    """
    from assistant.tools.web_search import search

    results = _run(
        lambda settings, store, cancel: search(
            query, settings, store, max_results=max_results, cancel=cancel,
            use_cache=not no_cache,
        ),
        use_cache=not no_cache,
    )
    if as_json:
        typer.echo(json.dumps(results.to_dict(), ensure_ascii=False))
        return
    if not results.results:
        typer.echo(f'no results for "{results.query}"', err=True)
        return
    for i, hit in enumerate(results.results, 1):
        typer.echo(f"{i}. {hit.title or hit.url}")
        typer.echo(f"   {hit.url}")
        if hit.snippet:
            typer.echo(f"   {hit.snippet}")


def fetch(
    url: Annotated[str, typer.Argument(help="The http(s) URL to fetch.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object (url, final_url, title, content_type, text)."
        ),
    ] = False,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-bytes", min=1024, help="Read at most this many bytes (after decompression)."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Fetch again even if a cached copy exists.")
    ] = False,
) -> None:
    """Fetch a web page and print its main text as Markdown.

    The same guard as the chat tool applies: public http(s) addresses only (see
    [tools] allow_private_hosts), at most 5 redirects, [tools] fetch_max_bytes and
    fetch_timeout; HTML, plain text, JSON and XML only.
    """
    from assistant.tools.fetch_url import fetch as fetch_page

    result = _run(
        lambda settings, store, cancel: fetch_page(
            url, settings, store, max_bytes=max_bytes, cancel=cancel, use_cache=not no_cache
        ),
        use_cache=not no_cache,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    typer.echo(result.for_model())
    if not result.text.strip():
        typer.echo("(the page has no readable text)", err=True)
