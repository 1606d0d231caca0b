"""What a turn sends the model, part by part, with token counts against the context window.

:func:`build_report` counts a prompt cumulatively: the chat template's own framing, then the
system prompt, each history message, the latest question, the code chunks and pinned files put
before it, this turn's tool steps, and the tool definitions; each part is what adding it
added. So the parts add up exactly to the whole prompt as tokenised (for a local model: the
tokens llama.cpp evaluates). Dropped history messages are listed too, with their own size,
but are not counted. Hosted models are counted with the estimator and marked ``estimated``.

The report of each answered turn is saved with it (``fireside sessions context ID``); the TUI's
``/context`` panel shows the next turn's and the last turn's; ``fireside chat
--show-context`` prints it on stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.pins import PinnedFile
    from assistant.retrieval import Retrieved
    from providers.base import ChatMessage, ToolSpec

# count(messages, tools) -> tokens of the whole prompt as sent
Count = Callable[[list["ChatMessage"], tuple["ToolSpec", ...]], int]
Apply = Callable[[list["ChatMessage"]], list["ChatMessage"]]
PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Part:
    """One piece of a prompt. ``kind``: template, system, message, question, pin, chunk,
    tool_step, tools (``kept`` false: a history message dropped to fit)."""

    kind: str
    label: str
    tokens: int
    kept: bool = True
    role: str | None = None
    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    score: float | None = None


@dataclass(frozen=True)
class ContextReport:
    model: str
    provider: str  # "local" or a hosted [providers.NAME]
    context_size: int
    reserve: int  # tokens kept free for the answer
    estimated: bool  # counted with the estimator (hosted models), not the model's tokenizer
    parts: tuple[Part, ...] = field(default_factory=tuple)
    title: str = "next turn"

    @property
    def prompt_tokens(self) -> int:
        """Tokens the prompt takes: the kept parts' sum."""
        return sum(p.tokens for p in self.parts if p.kept)

    @property
    def free(self) -> int:
        return self.context_size - self.prompt_tokens - self.reserve

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["prompt_tokens"] = self.prompt_tokens
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContextReport:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        parts = tuple(
            Part(**{k: v for k, v in p.items() if k in Part.__dataclass_fields__})
            for p in data.get("parts", ())
        )
        return cls(**{**known, "parts": parts})


def preview(text: str, width: int = PREVIEW_CHARS) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


@dataclass
class _Tally:
    """Counts prompts cumulatively: each part is the growth of the whole."""

    count: Count
    last: int = 0
    parts: list[Part] = field(default_factory=list)

    def step(self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...], part: Part) -> None:
        total = self.count(messages, tools)
        self.parts.append(replace(part, tokens=total - self.last))
        self.last = total


def build_report(
    *,
    count: Count,
    system: ChatMessage,
    history: Sequence[ChatMessage],
    dropped: int,
    retrieved: Retrieved | None = None,
    pinned: Sequence[PinnedFile] = (),
    apply_pins: Callable[[list[ChatMessage], Sequence[PinnedFile]], list[ChatMessage]]
    | None = None,
    tail: Sequence[ChatMessage] = (),
    tools: tuple[ToolSpec, ...] = (),
    model: str,
    provider: str,
    context_size: int,
    reserve: int,
    estimated: bool,
    title: str = "next turn",
) -> ContextReport:
    """The report for the prompt ``[system, *history[dropped:]]`` with ``pinned`` files and
    ``retrieved`` chunks before the last (user) message, ``tail`` after it, and ``tools``
    offered; its kept parts sum to ``count`` of that whole prompt."""
    from assistant.retrieval import apply_context

    tally = _Tally(count)
    try:
        tally.step([], (), Part("template", "chat template framing", 0))
    except Exception:  # a template that cannot render an empty chat: framing goes to system
        tally.parts.clear()
    kept = list(history[dropped:])
    parts_before: list[Part] = [
        Part("message", _message_label(m), _alone(count, m), kept=False, role=m["role"])
        for m in history[:dropped]
    ]
    messages: list[ChatMessage] = [system]
    tally.step(messages, (), Part("system", "system prompt", 0))
    for i, message in enumerate(kept):
        last = i == len(kept) - 1 and message["role"] == "user"
        messages = [*messages, message]
        kind = "question" if last else "message"
        tally.step(messages, (), Part(kind, _message_label(message), 0, role=message["role"]))
    chunks = retrieved.chunks if retrieved is not None else ()
    head = messages[:-1]
    for j, chunk in enumerate(chunks, start=1):
        partial = replace(retrieved, chunks=chunks[:j])  # type: ignore[arg-type]
        messages = [*head, *apply_context(kept[-1:], partial)]
        src = chunk.source
        tally.step(messages, (), Part(
            "chunk", f"code {src.citation}" + (f" ({src.symbol})" if src.symbol else ""), 0,
            path=src.path, start_line=src.start_line, end_line=src.end_line, score=src.score,
        ))
    if pinned and apply_pins is not None:
        with_chunks = messages
        for k, pin in enumerate(pinned, start=1):
            messages = apply_pins(with_chunks, pinned[:k])
            tally.step(messages, (), Part(
                "pin", f"pinned {pin.label}", 0, path=pin.path, start_line=pin.start_line,
                end_line=pin.end_line,
            ))
    for step in tail:
        messages = [*messages, step]
        tally.step(messages, (), Part("tool_step", _step_label(step), 0, role=step["role"]))
    if tools:
        names = ", ".join(t.name for t in tools)
        tally.step(messages, tools, Part("tools", f"tool definitions ({names})", 0))
    return ContextReport(
        model=model, provider=provider, context_size=context_size, reserve=reserve,
        estimated=estimated, parts=(*parts_before, *tally.parts), title=title,
    )


def _alone(count: Count, message: ChatMessage) -> int:
    try:
        return count([message], ()) - count([], ())
    except Exception:
        return count([message], ())


def _message_label(message: ChatMessage) -> str:
    return f"{message['role']}: {preview(message['content'])}"


def _step_label(message: ChatMessage) -> str:
    if message.get("tool_calls"):
        names = ", ".join(c.name for c in message["tool_calls"])
        return f"tool call: {names}"
    if message["role"] == "tool":
        return f"tool result: {message.get('name', '')}"
    return _message_label(message)


# -- text --------------------------------------------------------------------------------------


def format_report(report: ContextReport, width: int = 78) -> str:
    """The report as text for a terminal: one line per part, then the totals."""
    approx = "≈" if report.estimated else ""
    head = (
        f"Context ({report.title}): {report.model} ({report.provider}) · "
        f"{approx}{report.prompt_tokens:,} of {report.context_size:,} tokens"
        + (" (estimated)" if report.estimated else "")
    )
    lines = [head]
    label_width = width - 12
    for part in report.parts:
        label = part.label if part.kept else f"dropped · {part.label}"
        if part.kind == "chunk" and part.score is not None:
            label += f" (score {part.score:.2f})"
        label = label if len(label) <= label_width else label[: label_width - 1] + "…"
        count = f"{approx}{part.tokens:,}" if part.kept else f"({approx}{part.tokens:,})"
        lines.append(f"  {label.ljust(label_width)}{count:>10}")
    lines.append(f"  {'reserved for the answer'.ljust(label_width)}{report.reserve:>10,}")
    lines.append(f"  {'free'.ljust(label_width)}{max(0, report.free):>10,}")
    return "\n".join(lines)


def status_text(prompt_tokens: int, context_size: int, estimated: bool = False) -> str:
    """``ctx 2,310/4,096`` for the status bar (``ctx ≈2,310/…`` when estimated)."""
    return f"ctx {'≈' if estimated else ''}{prompt_tokens:,}/{context_size:,}"
