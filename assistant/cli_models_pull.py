"""``fireside models pull SOURCE``: download a model into Fireside's models folder.

The user's explicit command, so it may use the network under any policy (nothing else about
models does). The download itself is :mod:`providers.localmodels.pull`; this module parses
options and renders progress: a bar with speed and ETA on a terminal, or one JSON event per
line with ``--json`` (for editor plugins).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer

from assistant.errors import FiresideError


def _size(n: float | None) -> str:
    from assistant.cli_models import human_size

    return human_size(n)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if (
        seconds >= 3600) else f"{seconds // 60:02d}:{seconds % 60:02d}"


class _Bar:
    """Progress on stderr: a redrawn bar on a terminal, a few plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0

    def __call__(self, p: Any) -> None:
        if p.event == "start":
            what = f" ({_size(p.total)})" if p.total else ""
            resumed = f", resuming at {_size(p.bytes)}" if p.bytes else ""
            typer.echo(f"pulling {p.file}{what}{resumed}", err=True)
        elif p.event == "progress":
            self._progress(p)
        elif p.event == "retry":
            self._end_line()
            typer.echo(f"  {p.message}", err=True)
        elif p.event == "verified":
            self._end_line()
            typer.echo(f"  sha256 verified: {p.extra['sha256']}", err=True)
        elif p.event == "unverified":
            self._end_line()
            typer.echo(f"  sha256 {p.extra['sha256']} (no checksum was known to compare "
                       "with; pass --sha256 to check it)", err=True)
        elif p.event == "done" and p.message:
            typer.echo(f"  {p.file}: {p.message}", err=True)

    def _progress(self, p: Any) -> None:
        done = f"{_size(p.bytes)}/{_size(p.total)}" if p.total else _size(p.bytes)
        rate = f"{_size(p.speed)}/s"
        if self.tty:
            frac = min(1.0, p.bytes / p.total) if p.total else 0.0
            bar = "#" * int(frac * 30)
            sys.stderr.write(f"\r  [{bar:<30}] {frac:4.0%} {done} {rate} ETA {_clock(p.eta)} ")
            sys.stderr.flush()
        elif time.monotonic() - self.last_line >= 5:
            self.last_line = time.monotonic()
            typer.echo(f"  {done} {rate} ETA {_clock(p.eta)}", err=True)

    def _end_line(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _json_event(p: Any) -> None:
    sys.stdout.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def pull_model(
    source: Annotated[str, typer.Argument(
        help="hf:OWNER/REPO, hf:OWNER/REPO/FILE.gguf, an https:// URL, or a NAME from "
        "`fireside models list --suggested`.")],
    list_files: Annotated[bool, typer.Option(
        "--list", help="List the repo's GGUF files (quantizations) and exit.")] = False,
    quant: Annotated[str, typer.Option(
        "--quant", help="Quantization to pick from an hf:OWNER/REPO.")] = "Q4_K_M",
    sha256: Annotated[str | None, typer.Option(
        "--sha256", help="Expected sha256 (hub files are checked against the hub's).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print progress as JSON lines on stdout.")] = False,
) -> None:
    """Download a GGUF into Fireside's models folder: resumable (run it again after an
    interruption), checked against its sha256, moved into place only when complete.
    `HF_ENDPOINT` and the proxy variables are honoured; gated models need a token:
    `fireside keys set huggingface`."""
    from providers.localmodels.hub import plan_pull
    from providers.localmodels.pull import make_client, pull
    from providers.localmodels.sources import fireside_models_dir

    folder = fireside_models_dir()
    try:
        with make_client() as client:
            if list_files:
                _list(client, source, quant, as_json)
                return
            plan = plan_pull(client, source, quant=quant, sha256=sha256)
            report = _json_event if as_json else _Bar()
            paths = pull(plan, folder, client=client, report=report)
    except KeyboardInterrupt:
        _interrupted(as_json)
    except FiresideError as exc:
        if as_json:
            _json_event_error(str(exc))
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    name = paths[0].name.removesuffix(".gguf")
    if not as_json:
        typer.echo(f"pulled {name} to {paths[0].parent}")
        typer.echo(f"use it: fireside models use {_listed_name(paths[0]) or name}")


def _listed_name(path: Any) -> str | None:
    from providers.localmodels.discovery import discover

    try:
        return next((m.name for m in discover().models if m.path == path), None)
    except FiresideError:
        return None


def _json_event_error(message: str) -> None:
    sys.stdout.write(json.dumps({"event": "error", "message": message}) + "\n")
    sys.stdout.flush()


def _interrupted(as_json: bool) -> None:
    message = "interrupted; what was downloaded is kept: run the same command to resume"
    if as_json:
        _json_event_error(message)
    typer.echo(f"\n{message}", err=True)
    raise typer.Exit(130)


def _list(client: Any, source: str, quant: str, as_json: bool) -> None:
    from assistant.errors import ModelPullError
    from providers.localmodels.hub import choose_quant, hub_files
    from providers.localmodels.suggested import find_suggested

    entry = find_suggested(source)
    repo = entry.repo if entry else source.removeprefix("hf:").strip("/")
    if not (source.startswith("hf:") or entry) or repo.count("/") != 1:
        raise ModelPullError("--list needs hf:OWNER/REPO (or a suggested NAME)")
    files = hub_files(client, repo)
    default = {f.name for f in choose_quant(files, quant)}
    if as_json:
        typer.echo(json.dumps({"repo": repo, "files": [
            {"file": f.name, "size": f.size, "sha256": f.sha256, "default": f.name in default}
            for f in files]}))
        return
    typer.echo(f"{repo}: {len(files)} GGUF files (* pulled by default; pick one with "
               f"hf:{repo}/FILE.gguf or --quant)")
    for f in files:
        typer.echo(f"{'*' if f.name in default else ' '} {f.name:<60} {_size(f.size):>9}")
