"""Plain-text and JSON renderings of sessions, shared by the CLI (and later the API)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.store import Message, Session, ToolStep


STATUS_MARKS = {"cancelled": "[stopped]", "error": "[failed]"}


def session_dict(
    session: Session, messages: list[Message], steps: list[ToolStep] | None = None
) -> dict[str, Any]:
    from assistant.tool_render import step_dicts

    return {
        "session": asdict(session),
        "messages": [asdict(m) for m in messages],
        "tool_steps": step_dicts(steps or []),  # each names its answer by message_id
    }


def message_stats(message: Message) -> str:
    parts: list[str] = []
    if message.model:
        parts.append(message.model)
    if message.prompt_tokens is not None:
        parts.append(f"{message.prompt_tokens} prompt + {message.completion_tokens or 0} tokens")
    if message.tokens_per_s:
        parts.append(f"{message.tokens_per_s:.1f} tok/s")
    if message.ttft_ms is not None:
        parts.append(f"first token {message.ttft_ms:.0f} ms")
    if message.provider and message.provider != "local":
        parts.append("hosted")
    if message.cost_usd is not None:
        parts.append(format_cost(message.cost_usd))
    return ", ".join(parts)


def format_cost(usd: float) -> str:
    """``$1.23``, ``$0.0123``, or ``<$0.0001`` for tiny amounts."""
    if usd >= 1:
        return f"${usd:.2f}"
    if usd == 0:
        return "$0"
    return "<$0.0001" if usd < 0.0001 else f"${usd:.4f}"


def session_totals(messages: list[Message]) -> str:
    """Tokens of the whole session, and the hosted cost when any answer had one."""
    answers = [m for m in messages if m.role == "assistant"]
    prompt = sum(m.prompt_tokens or 0 for m in answers)
    completion = sum(m.completion_tokens or 0 for m in answers)
    text = f"{prompt} prompt + {completion} answer tokens"
    costs = [m.cost_usd for m in answers if m.cost_usd is not None]
    if costs:
        text += f", hosted cost {format_cost(sum(costs))}"
    return text


def session_markdown(
    session: Session, messages: list[Message], steps: list[ToolStep] | None = None
) -> str:
    from assistant.tool_render import step_markdown, steps_by_message

    by_answer = steps_by_message(steps or [])
    lines = [f"# {session.title}", "", f"Session `{session.id}` · started {session.created_at}", ""]
    for message in messages:
        heading = "User" if message.role == "user" else message.role.capitalize()
        mark = STATUS_MARKS.get(message.status)
        if mark:
            heading += f" {mark}"
        lines += [f"## {heading}", ""]
        for step in by_answer.get(message.id, []):  # the tools the answer used, first
            lines += step_markdown(step)
        lines += [message.content.rstrip(), ""]
        if message.role == "assistant" and (stats := message_stats(message)):
            lines += [f"*{stats}*", ""]
    return "\n".join(lines).rstrip() + "\n"
