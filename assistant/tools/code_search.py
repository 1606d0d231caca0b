"""code_search: the project index's hybrid search (lexical + vectors), as ``path:lines`` and a
snippet per hit. Offered only when the open project has an index (``fireside index``, or the
TUI's background indexing)."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.errors import IndexerError, ToolError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput

log = logging.getLogger(__name__)

SNIPPET_LINES = 8


def has_index(root: Path | None) -> bool:
    """True when ``root`` has been indexed (cheap: looks for the index file only)."""
    if root is None:
        return False
    try:
        from indexer.project import index_dir

        return (index_dir(Path(root).resolve()) / "index.db").exists()
    except Exception:  # no indexer, or an unreadable path: no code search
        log.debug("no index check for %s", root, exc_info=True)
        return False


class CodeSearchArgs(BaseModel):
    query: str = Field(
        min_length=1, max_length=500,
        description="What to look for: identifiers, words from comments, or a description.",
    )
    k: int = Field(default=5, ge=1, le=20, description="How many results (1-20).")
    path_glob: str | None = Field(
        default=None, description="Only files matching this glob, e.g. 'src/**/*.py'."
    )
    files: bool = Field(
        default=False, description="Rank whole files (each with its best chunks) instead of "
        "chunks: use it to find which file to read or change.",
    )


def search_code(
    root: Path, query: str, settings: object, k: int = 5, path_glob: str | None = None,
    files: bool = False,
) -> tuple[list[object], str | None]:
    """The hits and the index's note (why it fell back to lexical, for instance)."""
    from indexer.project import open_project

    try:
        project = open_project(root, settings)  # type: ignore[arg-type]
    except IndexerError as exc:
        raise ToolError(f"code search failed: {exc}") from None
    try:
        if files:
            return list(project.search_files(query, k=k, path_glob=path_glob)), \
                project.last_note
        hits = project.search(query, k=k, path_glob=path_glob)
        return list(hits), project.last_note
    except IndexerError as exc:
        raise ToolError(f"code search failed: {exc}") from None
    finally:
        project.close()


def format_hits(query: str, hits: list[object]) -> str:
    if not hits:
        return f'No code found for "{query}".'
    out = [f'Code results for "{query}":']
    for i, hit in enumerate(hits, 1):
        symbol = f" ({hit.symbol})" if getattr(hit, "symbol", None) else ""
        out.append(f"{i}. {hit.citation}{symbol}")  # type: ignore[attr-defined]
        snippet = str(getattr(hit, "snippet", "") or "").strip("\n").splitlines()
        out.extend(f"   {line}" for line in snippet[:SNIPPET_LINES])
    return "\n".join(out)


def format_files(query: str, found: list[object]) -> str:
    if not found:
        return f'No code found for "{query}".'
    out = [f'Files for "{query}" (best first):']
    for i, file_hit in enumerate(found, 1):
        out.append(f"{i}. {file_hit.path}")  # type: ignore[attr-defined]
        for hit in file_hit.hits[:2]:  # type: ignore[attr-defined]
            symbol = f" ({hit.symbol})" if hit.symbol else ""
            out.append(f"   {hit.citation}{symbol}")
            out.extend(f"     {line}" for line in hit.snippet.splitlines()[:3])
    return "\n".join(out)


def _run(args: CodeSearchArgs, ctx: ToolContext) -> ToolOutput:
    if ctx.project_root is None:
        raise ToolError("code search needs an open project; none is open")
    hits, note = search_code(ctx.project_root, args.query, ctx.settings, args.k, args.path_glob,
                             args.files)
    if args.files:
        data = {"query": args.query, "files": [f.to_dict() for f in hits], "note": note}  # type: ignore[attr-defined]
        return ToolOutput(format_files(args.query, hits), data=data)
    data = {
        "query": args.query,
        "hits": [hit.to_dict() for hit in hits],  # type: ignore[attr-defined]
        "note": note,
    }
    return ToolOutput(format_hits(args.query, hits), data=data)


TOOL = Tool(
    name="code_search",
    description="Search the user's codebase (the project index). Returns file:line ranges "
    "with snippets; read more of a file with read_file.",
    args=CodeSearchArgs,
    risk=Risk.READ,
    run=_run,
    available=lambda ctx: has_index(ctx.project_root),
)
