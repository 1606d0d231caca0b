"""Tool calls and results as text for people: one line per call (``→ web_search(query="…")``),
a folded result (first lines, then how much more), and the JSON form ``--json`` prints.
Shared by ``fireside chat``, ``fireside sessions show/export`` and the TUI."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.events import ToolCallEvent, ToolResultEvent
    from assistant.store import ToolStep

ARG_CHARS = 80
FOLD_LINES = 3
LINE_CHARS = 160


def call_line(name: str, arguments: dict[str, Any]) -> str:
    """``web_search(query="rust async")``: long values are shortened."""
    parts = []
    for key, value in arguments.items():
        text = json.dumps(value, ensure_ascii=False)
        if len(text) > ARG_CHARS:
            text = text[: ARG_CHARS - 1] + "…"
        parts.append(f"{key}={text}")
    return f"{name}({', '.join(parts)})"


def full_call(name: str, arguments: dict[str, Any]) -> str:
    """The call with every argument in full (what a user approves: the whole URL)."""
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return f"{name}({args})"


def failure_line(name: str, reason: str) -> str:
    """A failed or refused call in one line: ``read_file: no file docs/setup.md in the
    project`` (the reason's first line, its leading tool name not repeated)."""
    first = (reason.strip().splitlines() or ["failed"])[0].strip()
    if first.startswith(name + " "):
        first = first[len(name) + 1 :]
    line = f"{name}: {first}"
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…"


def fold(text: str, lines: int = FOLD_LINES) -> str:
    """The first ``lines`` lines of ``text`` (each cut to a screen width), and a count of
    the rest."""
    rows = text.splitlines() or [""]
    shown = [r if len(r) <= LINE_CHARS else r[: LINE_CHARS - 1] + "…" for r in rows[:lines]]
    if len(rows) > lines:
        shown.append(f"… {len(rows) - lines} more line(s)")
    return "\n".join(shown)


def result_summary(ok: bool, duration_ms: float, truncated: bool) -> str:
    """``ok, 12 ms`` / ``failed, 3 ms`` (``, cut to fit`` when the result was capped)."""
    state = "ok" if ok else "failed"
    cut = ", cut to fit" if truncated else ""
    return f"{state}, {duration_ms:.0f} ms{cut}"


def event_step(call: ToolCallEvent | None, result: ToolResultEvent) -> dict[str, Any]:
    """One step for ``fireside chat --json`` (``tool_steps``): call and full result."""
    return {
        "step": result.step,
        "call_id": result.call_id,
        "name": result.name,
        "arguments": dict(call.arguments) if call is not None else {},
        "ok": result.ok,
        "result": result.content,
        "truncated": result.truncated,
        "duration_ms": result.duration_ms,
    }


def steps_by_message(steps: Iterable[ToolStep]) -> dict[int | None, list[ToolStep]]:
    """Steps grouped by the answer they led to (None: the turn never saved an answer)."""
    grouped: dict[int | None, list[ToolStep]] = {}
    for step in steps:
        grouped.setdefault(step.message_id, []).append(step)
    return grouped


def step_dicts(steps: Iterable[ToolStep]) -> list[dict[str, Any]]:
    return [asdict(s) for s in steps]


def step_markdown(step: ToolStep) -> list[str]:
    """A step in an exported chat: the call, then the result folded in a details block."""
    summary = result_summary(step.ok, step.duration_ms, step.truncated)
    fence = "````" if "```" in step.result else "```"
    return [
        f"> → `{call_line(step.name, step.arguments)}` ({summary})",
        "",
        "<details><summary>result</summary>",
        "",
        fence,
        step.result.rstrip(),
        fence,
        "",
        "</details>",
        "",
    ]
