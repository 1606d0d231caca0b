"""``/search QUERY``: search the project's code index and show the hits in the conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import FiresideError
from tui.commands import CommandError, CommandRegistry

if TYPE_CHECKING:
    from indexer.types import Hit
    from tui.chat_screen import ChatScreen

HITS = 8
SNIPPET_LINES = 4


def register(commands: CommandRegistry) -> None:
    @commands.command("search", "Search this project's code index", usage="/search QUERY")
    def search(screen: ChatScreen, args: str) -> None:
        if not args:
            raise CommandError("Give a query: /search QUERY")
        project = _project(screen)
        # Lexical until the embedder is loaded (a search never waits seconds for it).
        mode = "hybrid" if getattr(screen.app.indexer, "hybrid", False) else "lexical"
        screen.run_worker(
            lambda: _run(screen, project, args, mode),
            thread=True,
            group="search",
            exclusive=True,
            name="search",
        )


def _project(screen: ChatScreen) -> Any:
    """The app's open project index, or a CommandError saying why there is none."""
    indexer = getattr(screen.app, "indexer", None)
    if indexer is None:
        raise CommandError(
            "The project index is off in this window ([index] enabled = false); "
            "`fireside search` works from the shell."
        )
    project = indexer.project
    if project is None or not project.exists:
        if indexer.error:
            raise CommandError(f"The project index is not available: {indexer.error}")
        raise CommandError("The project is still being indexed; try again in a moment.")
    return project


def _run(screen: ChatScreen, project: Any, query: str, mode: str) -> None:
    """On a worker thread: search, then show the hits (or the error) on the UI thread."""
    app = screen.app
    try:
        hits = project.search(query, k=HITS, mode=mode)
    except FiresideError as exc:
        app.call_from_thread(
            screen.notify, str(exc), title="/search", severity="error", markup=False
        )
        return
    note = getattr(project, "last_note", None)
    app.call_from_thread(screen.show_output, search_title(query, hits), format_hits(hits, note))


def search_title(query: str, hits: list[Hit]) -> str:
    short = " ".join(query.split())
    short = short if len(short) <= 50 else short[:49] + "…"
    count = f"{len(hits)} hit" + ("" if len(hits) == 1 else "s")
    return f"Search “{short}”: {count}"


def format_hits(hits: list[Hit], note: str | None = None) -> str:
    """Each hit as ``path:start-end  score  (symbol)`` and its first snippet lines, indented."""
    if not hits:
        lines = ["No matches in this project's index."]
    else:
        lines = []
        for hit in hits:
            head = f"{hit.citation}  {hit.score:.3g}" + (f"  ({hit.symbol})" if hit.symbol else "")
            lines.append(head)
            snippet = [line for line in hit.snippet.splitlines() if line.strip()]
            lines.extend("    " + line for line in snippet[:SNIPPET_LINES])
    if note:
        lines.append(f"({note})")
    return "\n".join(lines)
