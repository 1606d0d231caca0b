"""read_file: lines of a file inside the project, numbered, under a ``path:start-end`` header.

Confined to ``ctx.project_root``: the path is resolved (symlinks followed) and must stay inside
the resolved root; ``..`` escapes, absolute paths elsewhere, secret files (``.env``, keys,
credentials, ``.git/`` at any depth: ``indexer.secret_files``, checked on the name given and
on the resolved target, again on the opened file), special files and binary
files are refused. At most ``[tools] read_max_lines`` lines per call.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.errors import ToolError
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput
from indexer.safe_open import NotRegularFileError, SecretFileError, open_regular
from indexer.secret_files import secret_reason

_SNIFF_BYTES = 8192


def resolve_in_project(root: Path, path: str) -> tuple[Path, str]:
    """The real file for ``path`` (relative to ``root``, or absolute inside it) and its
    project-relative name; ToolError when it is outside, secret, or not a regular file."""
    given = path.strip()
    if not given or "\0" in given:
        raise ToolError("read_file needs a file path inside the project")
    root_real = Path(os.path.realpath(root))
    candidate = Path(os.path.expanduser(given)) if given.startswith("~") else Path(given)
    if not candidate.is_absolute():
        candidate = root_real / candidate
    real = Path(os.path.realpath(candidate))
    if real != root_real and root_real not in real.parents:
        raise ToolError(f"refused {given}: it is outside the project ({root_real.name})")
    rel = real.relative_to(root_real).as_posix() if real != root_real else "."
    reason = secret_reason(given, root) or secret_reason(rel, root_real)
    if reason is not None:
        raise ToolError(f"refused {given}: {reason}")
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        raise ToolError(f"no file {given} in the project") from None
    except OSError as exc:
        raise ToolError(f"cannot read {given}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise ToolError(f"{given} is a folder; give a file (code_search finds files)")
    if not stat.S_ISREG(mode):
        raise ToolError(f"refused {given}: not a regular file")
    return real, rel


def read_lines(
    root: Path, path: str, start_line: int = 1, end_line: int | None = None, max_lines: int = 400
) -> dict[str, object]:
    """The lines ``start_line``..``end_line`` (1-based, inclusive, at most ``max_lines``)."""
    real, rel = resolve_in_project(root, path)
    try:
        with open_regular(real, os.path.realpath(root)) as handle:  # re-checked on the open file
            head = handle.read(_SNIFF_BYTES)
            if b"\0" in head:
                raise ToolError(f"{rel} is a binary file; read_file shows text only")
            handle.seek(0)
            wanted_end = end_line if end_line is not None else start_line + max_lines - 1
            capped_end = min(wanted_end, start_line + max_lines - 1)
            lines: list[str] = []
            total = 0
            for total, raw in enumerate(handle, 1):  # noqa: B007 - total is the line count
                if start_line <= total <= capped_end:
                    lines.append(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
    except SecretFileError:
        raise ToolError(f"refused {rel}: it holds secrets (keys, credentials or .env)") from None
    except NotRegularFileError:
        raise ToolError(f"refused {rel}: not a regular file") from None
    except OSError as exc:
        raise ToolError(f"cannot read {rel}: {exc.strerror}") from None
    if total == 0:
        return {"path": rel, "start_line": 0, "end_line": 0, "total_lines": 0,
                "capped": False, "lines": []}
    if start_line > total:
        raise ToolError(f"{rel} has only {total} lines; start_line {start_line} is past the end")
    last = start_line + len(lines) - 1
    return {
        "path": rel,
        "start_line": start_line,
        "end_line": last,
        "total_lines": total,
        "capped": last < (total if end_line is None else min(end_line, total)),
        "lines": lines,
    }


def format_lines(data: dict[str, object]) -> str:
    rel, start, end = data["path"], data["start_line"], data["end_line"]
    total = data["total_lines"]
    if not total:
        return f"{rel}: (empty file)"
    lines = data["lines"]
    assert isinstance(lines, list) and isinstance(start, int) and isinstance(end, int)
    width = len(str(end))
    body = "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, start))
    out = f"{rel}:{start}-{end} (of {total} lines)\n{body}"
    if data["capped"]:
        out += (
            f"\n[… more lines follow (at most {len(lines)} per call); continue with "
            f"start_line={end + 1}]"
        )
    return out


class ReadFileArgs(BaseModel):
    path: str = Field(description="File path relative to the project root.")
    start_line: int = Field(default=1, ge=1, description="First line (1-based).")
    end_line: int | None = Field(default=None, ge=1, description="Last line (inclusive).")


def _run(args: ReadFileArgs, ctx: ToolContext) -> ToolOutput:
    if ctx.project_root is None:
        raise ToolError("read_file needs an open project; none is open")
    if args.end_line is not None and args.end_line < args.start_line:
        raise ToolError("end_line must not be before start_line")
    data = read_lines(
        ctx.project_root, args.path, args.start_line, args.end_line,
        ctx.settings.tools.read_max_lines,
    )
    return ToolOutput(format_lines(data), data=data)


TOOL = Tool(
    name="read_file",
    description="Read lines of a file in the user's project (with line numbers). Use it "
    "after code_search to see more of a file.",
    args=ReadFileArgs,
    risk=Risk.READ,
    run=_run,
    available=lambda ctx: ctx.project_root is not None,
)
