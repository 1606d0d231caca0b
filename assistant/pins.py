"""Files (or line ranges) the user pins into a chat: ``/add PATH[:START-END]`` in the TUI,
``fireside chat --add PATH`` for one turn.

A pin is read again for every turn (a file changed on disk is sent as it is now) through
``read_file``'s own guard (:func:`assistant.tools.read_file.resolve_in_project`): secret
files, paths outside the project, ``.git`` and binary files are refused exactly as the
``read_file`` tool refuses them. The pinned text goes before the latest question, like the
code chunks from the index, so the system prompt and history stay a shared prefix for the
local model's cache. A session's pins are saved with it.

Budget: all pins together may take at most half of what the context holds once the system
prompt and the answer's reserve are counted; a pin that would not fit is refused with its
token count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import FiresideError, ToolError

if TYPE_CHECKING:
    from providers.base import ChatMessage

# Whole files are read up to this many lines (the token budget is the real limit).
MAX_PIN_LINES = 20_000
_RANGE = re.compile(r"^(?P<path>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?$")
INSTRUCTION = "Files the user pinned to this conversation (current content):"


class PinError(FiresideError):
    """A pin cannot be added (bad spec, refused path, too big for the budget)."""


@dataclass(frozen=True)
class Pin:
    """A file, or lines ``start_line``..``end_line`` of it (1-based, inclusive)."""

    path: str  # relative to the project root
    start_line: int | None = None
    end_line: int | None = None

    @property
    def label(self) -> str:
        if self.start_line is None:
            return self.path
        return f"{self.path}:{self.start_line}-{self.end_line or ''}".rstrip("-")


@dataclass(frozen=True)
class PinnedFile:
    """A pin read now: its text as it goes into the prompt and its token count."""

    pin: Pin
    text: str
    tokens: int = 0

    @property
    def label(self) -> str:
        return self.pin.label

    @property
    def path(self) -> str:
        return self.pin.path

    @property
    def start_line(self) -> int | None:
        return self.pin.start_line

    @property
    def end_line(self) -> int | None:
        return self.pin.end_line


def parse_pin(spec: str) -> Pin:
    """``PATH`` or ``PATH:START-END`` (or ``PATH:LINE``) as a Pin; PinError when malformed."""
    spec = spec.strip()
    if not spec:
        raise PinError("give a file: /add PATH or /add PATH:START-END")
    match = _RANGE.match(spec)
    if match is None:
        return Pin(spec)
    start = int(match["start"])
    end = int(match["end"]) if match["end"] else start
    if start < 1 or end < start:
        raise PinError(f"bad line range in {spec}: START-END, 1-based, START <= END")
    return Pin(match["path"], start, end)


def read_pin(root: Path | None, pin: Pin) -> PinnedFile:
    """The pinned text now, refused as read_file refuses it (PinError with its reason)."""
    from assistant.tools.read_file import read_lines, resolve_in_project

    if root is None:
        raise PinError("pins need an open project; none is open")
    try:
        _real, rel = resolve_in_project(root, pin.path)
        start = pin.start_line or 1
        limit = MAX_PIN_LINES if pin.end_line is None else pin.end_line - start + 1
        data = read_lines(root, pin.path, start, pin.end_line, max_lines=limit)
    except ToolError as exc:
        raise PinError(str(exc).replace("read_file", "pinning")) from None
    lines = data["lines"]
    assert isinstance(lines, list)
    if pin.start_line is not None:
        end = data["end_line"]
        head = f"{rel}:{pin.start_line}-{end}"
        pin = Pin(rel, pin.start_line, int(end) if isinstance(end, int) else pin.end_line)
    else:
        head = rel
        pin = Pin(rel)
    body = "\n".join(lines)
    fence = "````" if "```" in body else "```"
    return PinnedFile(pin, f"{head}\n{fence}\n{body}\n{fence}")


def pins_block(files: Sequence[PinnedFile]) -> str:
    if not files:
        return ""
    return "\n\n".join([INSTRUCTION, *(f.text for f in files)])


def apply_pins(
    messages: list[ChatMessage], files: Sequence[PinnedFile]
) -> list[ChatMessage]:
    """``messages`` with the pinned text put before the last message, if it is the user's."""
    if not files or not messages or messages[-1]["role"] != "user":
        return messages
    last = messages[-1]
    text = f"{pins_block(files)}\n\n{last['content']}"
    return [*messages[:-1], {**last, "content": text}]


def pin_budget(context_size: int, reserve: int, system_tokens: int) -> int:
    """Tokens all pins together may take."""
    return max(0, (context_size - reserve - system_tokens) // 2)


def read_pins(
    root: Path | None,
    pins: Sequence[Pin],
    count: Callable[[str], int],
    budget: int,
) -> tuple[list[PinnedFile], list[str]]:
    """Read ``pins`` for a turn within ``budget`` tokens: (files, notices for those skipped:
    gone, refused, or no longer fitting)."""
    files: list[PinnedFile] = []
    notes: list[str] = []
    used = count(INSTRUCTION)
    for pin in pins:
        try:
            pinned = read_pin(root, pin)
        except PinError as exc:
            notes.append(f"pin {pin.label} skipped: {exc}")
            continue
        tokens = count(pinned.text)
        if used + tokens > budget:
            notes.append(
                f"pin {pin.label} skipped: it is {tokens:,} tokens and the pins may take "
                f"{budget:,} in this context"
            )
            continue
        used += tokens
        files.append(PinnedFile(pinned.pin, pinned.text, tokens))
    return files, notes


def check_new_pin(
    root: Path | None,
    pin: Pin,
    existing: Sequence[Pin],
    count: Callable[[str], int],
    budget: int,
) -> PinnedFile:
    """Read a pin about to be added and check it fits with the ``existing`` ones; PinError
    with its token count when it does not."""
    pinned = read_pin(root, pin)
    tokens = count(pinned.text)
    others, _notes = read_pins(root, [p for p in existing if p != pinned.pin], count, budget)
    used = count(INSTRUCTION) + sum(f.tokens for f in others)
    if used + tokens > budget:
        raise PinError(
            f"refused {pinned.label}: it is {tokens:,} tokens; pins may take {budget:,} tokens "
            f"in this model's context ({used:,} used)"
        )
    return PinnedFile(pinned.pin, pinned.text, tokens)
