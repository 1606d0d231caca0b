"""``fireside index`` and ``fireside search``: build, watch, inspect and query a codebase index."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli_exit import exit_for, fail
from assistant.errors import FiresideError


class Mode(StrEnum):
    hybrid = "hybrid"
    lexical = "lexical"
    vector = "vector"


def _fail(exc: FiresideError | str, code: int = 1) -> typer.Exit:
    if isinstance(exc, FiresideError):
        return exit_for(exc)
    return fail(exc, code)


def _settings() -> Any:
    from assistant.config import load_settings

    return load_settings()


def _summary_line(summary: Any) -> str:
    parts = [
        f"{summary.files} files",
        f"{summary.chunks} chunks",
        f"{summary.changed} changed"
        + (f" ({summary.added} added, {summary.deleted} deleted)"
           if summary.added or summary.deleted else ""),
    ]
    if summary.pending:
        parts.append(f"{summary.pending} waiting for embeddings")
    return ", ".join(parts) + f", took {summary.seconds:.1f} s"


class _Progress:
    """A rich progress bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._last_line = 0.0

    def __enter__(self) -> _Progress:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                console=Console(stderr=True), transient=True,
            )
            self._bar.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            if p.phase == "lexical" and p.files_total:
                self._task("files", p.files_total, p.files_done, f"{p.chunks_done} chunks")
            elif p.phase == "embed" and p.chunks_total:
                self._task("embeddings", p.chunks_total, p.chunks_done, "chunks")
            return
        if p.phase == "scan" or (p.phase == "lexical" and not p.files_total):
            return  # nothing to report on a run with no changed files
        now = time.monotonic()
        final = p.message in ("lexical index ready", "embeddings ready")
        if not final and now - self._last_line < 2.0:
            return
        self._last_line = now
        if p.phase == "embed":
            line = f"embeddings: {p.chunks_done}/{p.chunks_total}"
        elif p.phase == "lexical":
            line = f"files: {p.files_done}/{p.files_total}, {p.chunks_done} new chunks"
        else:
            line = p.message or p.phase
        if p.eta_s and not final:
            line += f", about {p.eta_s:.0f} s left"
        typer.echo(line, err=True)

    def _task(self, name: str, total: int, done: int, info: str) -> None:
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = self._bar.add_task(name, total=total, info=info)
        self._bar.update(task, total=total, completed=done, info=info)


def index(
    path: Annotated[
        Path | None,
        typer.Argument(help="Folder to index (default: the current git root or folder)."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running and re-index files as they change.")
    ] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Show the index's files, chunks and embeddings.")
    ] = False,
    forget: Annotated[
        Path | None,
        typer.Option("--forget", help="Delete the index of this folder.", metavar="PATH"),
    ] = None,
    no_embed: Annotated[
        bool, typer.Option("--no-embed", help="Lexical index only (no embedding model).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Index a codebase for `fireside search` and chat (incremental: unchanged files are skipped).

    The first run shows progress (files, chunks, embeddings); later runs only look at what
    changed. Ignores what .gitignore, .ignore and .firesideignore ignore, binary and secret
    files, and files over [index] max_file_bytes.
    """
    from indexer.project import forget_project
    from indexer.service import IndexService

    settings = _settings()
    if forget is not None:
        try:
            folder = forget_project(forget, settings)
        except FiresideError as exc:
            raise _fail(exc) from None
        typer.echo(json.dumps({"forgotten": str(folder)}) if as_json else f"forgot {forget}")
        return
    cancel = threading.Event()
    progress = _Progress(enabled=not as_json)
    service = IndexService(
        settings, path, embed=not no_embed, cancel=cancel, on_progress=progress,
        on_error=lambda message, _fatal: typer.echo(f"note: {message}", err=True),
        on_update=lambda summary: _watched(summary, as_json),
    )
    try:
        service.open()
    except FiresideError as exc:
        raise _fail(exc) from None
    try:
        if status:
            _print_status(service.status(), as_json)
            return

        def on_sigint(_signum: int, _frame: object) -> None:
            if cancel.is_set():  # a second Ctrl+C: stop now
                raise KeyboardInterrupt
            cancel.set()
            typer.echo("\nstopping after the current batch (Ctrl+C again to quit now)", err=True)

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            with progress:
                summary = service.refresh()
        finally:
            signal.signal(signal.SIGINT, previous)
        for notice in service.take_notices():
            typer.echo(f"note: {notice}", err=True)
        if as_json:
            typer.echo(json.dumps(summary.__dict__))
        else:
            typer.echo(_summary_line(summary))
        if cancel.is_set():
            typer.echo("interrupted; the next run continues where this one stopped", err=True)
            raise typer.Exit(130)
        if watch:
            _watch(service)
    except FiresideError as exc:
        raise _fail(exc) from None
    finally:
        service.close()


def _print_status(status: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(status.to_dict()))
        return
    typer.echo(f"root:          {status.root}")
    typer.echo(f"files:         {status.files}")
    typer.echo(f"chunks:        {status.chunks}")
    typer.echo(f"embedded:      {status.embedded} ({status.pending} pending)")
    typer.echo(f"model:         {status.model}")
    typer.echo(f"vector store:  {status.vector_store}")
    typer.echo(f"last update:   {status.last_update or 'never'}")


def _watched(summary: Any, as_json: bool) -> None:
    if summary.changed:
        typer.echo(json.dumps(summary.__dict__) if as_json else _summary_line(summary))


def _watch(service: Any) -> None:
    stop = threading.Event()
    service.watch()
    typer.echo(f"watching {service.project.root} (Ctrl+C stops)", err=True)
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGINT, previous)
        service.stop_watching()


def search(
    query: Annotated[str, typer.Argument(help="What to look for (words, code, a bug report).")],
    k: Annotated[int, typer.Option("--k", "-k", help="How many results.", min=1, max=200)] = 10,
    mode: Annotated[
        Mode, typer.Option("--mode", help="hybrid (default), lexical (BM25) or vector.")
    ] = Mode.hybrid,
    path_glob: Annotated[
        str | None,
        typer.Option("--path-glob", help='Only paths matching this glob, e.g. "src/**".'),
    ] = None,
    project_path: Annotated[
        Path | None,
        typer.Option("--project", help="The indexed folder (default: the current git root)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help='Print [{"path","start_line","end_line","score","snippet"}].'),
    ] = False,
    files: Annotated[
        bool,
        typer.Option("--files", help="Rank files (each with its best chunks) instead of chunks."),
    ] = False,
) -> None:
    """Search the codebase index: ranked `path:start-end  score` lines with snippets (with
    --files: ranked files, each with its best chunks)."""
    from indexer.project import find_root, open_project

    if not query.strip():
        raise _fail('give something to search for: fireside search "query"')
    settings = _settings()
    try:
        root = project_path.expanduser() if project_path is not None else find_root(None)
        project = open_project(root, settings)
    except FiresideError as exc:
        raise _fail(exc) from None
    try:
        if files:
            from assistant.cli_search_files import print_files

            found = project.search_files(query, k=k, mode=mode.value, path_glob=path_glob)
            print_files(found, project.last_note, as_json)
            return
        hits = project.search(query, k=k, mode=mode.value, path_glob=path_glob)
    except FiresideError as exc:
        raise _fail(exc) from None
    finally:
        project.close()
    if project.last_note:
        typer.echo(f"note: {project.last_note}", err=True)
    if as_json:
        typer.echo(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False))
        return
    if not hits:
        typer.echo("no results")
        return
    for hit in hits:
        typer.echo(f"{hit.citation}  {hit.score:.4g}" + (f"  {hit.symbol}" if hit.symbol else ""))
        for line in hit.snippet.splitlines():
            typer.echo(f"    {line}")
