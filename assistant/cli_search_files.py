"""``fireside search --files``: print ranked files, each with its best chunks."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer

from indexer.types import FileHit


def print_files(found: Sequence[FileHit], note: str | None, as_json: bool) -> None:
    if note:
        typer.echo(f"note: {note}", err=True)
    if as_json:
        typer.echo(json.dumps([f.to_dict() for f in found], ensure_ascii=False))
        return
    if not found:
        typer.echo("no results")
        return
    for n, file_hit in enumerate(found, 1):
        typer.echo(f"{n:>2}. {file_hit.path}  {file_hit.score:.4g}")
        for hit in file_hit.hits:
            label = f"  {hit.symbol}" if hit.symbol else ""
            typer.echo(f"      {hit.start_line}-{hit.end_line}{label}")
            first = next((line for line in hit.snippet.splitlines() if line.strip()), "")
            if first:
                typer.echo(f"        {first.strip()[:160]}")
