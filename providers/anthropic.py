"""Anthropic's Messages API over httpx (no SDK).

``POST {base_url}/v1/messages`` with ``stream: true``. The SSE stream is ``message_start``
(input token usage) → per content block ``content_block_start`` / ``content_block_delta``
(``text_delta`` pieces) / ``content_block_stop`` → ``message_delta`` (``stop_reason``, output
tokens) → ``message_stop``, with ``ping`` events anywhere and an ``error`` event (e.g.
``overloaded_error``) possible mid-stream. System messages go in the top-level ``system``
field; the rest must alternate user/assistant, so consecutive same-role messages are joined.

Tools go out as ``tools: [{name, description, input_schema}]``. A call streams as its own
content block: ``content_block_start`` with a ``tool_use`` block (``id``, ``name``, empty
``input``), ``input_json_delta`` pieces of ``partial_json``, then ``content_block_stop``,
when the call is yielded; ``stop_reason`` is then ``tool_use``. Text blocks may come before.
Earlier calls go back as ``tool_use`` blocks and their results as ``tool_result`` blocks of
the next user turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.errors import HostedError, HostedUnavailableError
from providers._hosted import HostedProvider, StreamState, finish_reason
from providers._http import Endpoint, SSEEvent, error_message, parse_json
from providers._tool_calls import tool_schemas
from providers.base import ChatMessage, GenerationOptions, ToolCall

API_VERSION = "2023-06-01"


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The system text and the alternating user/assistant turns Anthropic and Gemini want."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    turns: list[dict[str, str]] = []
    for m in messages:
        if m["role"] not in ("user", "assistant") or not m["content"]:
            continue
        if turns and turns[-1]["role"] == m["role"]:
            turns[-1]["content"] += "\n\n" + m["content"]
        else:
            turns.append({"role": m["role"], "content": m["content"]})
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    return system, turns


def anthropic_turns(messages: list[ChatMessage]) -> tuple[str, list[dict[str, Any]]]:
    """The system text and alternating turns, tool steps as content blocks: an assistant's
    calls as ``tool_use`` blocks, results as ``tool_result`` blocks in the next user turn.
    Plain chats come out as :func:`split_messages` makes them (text content)."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    turns: list[dict[str, Any]] = []
    for m in messages:
        role, calls = m["role"], m.get("tool_calls")
        content: str | list[dict[str, Any]]
        if role == "tool":
            block: dict[str, Any] = {"type": "tool_result",
                                     "tool_use_id": m.get("tool_call_id", ""),
                                     "content": m["content"] or "(no output)"}
            if m.get("is_error"):
                block["is_error"] = True
            role, content = "user", [block]
        elif role == "assistant" and calls:
            content = [{"type": "text", "text": m["content"]}] if m["content"] else []
            content += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                        for c in calls]
        elif role in ("user", "assistant") and m["content"]:
            content = m["content"]
        else:
            continue
        _add_turn(turns, role, content)
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    return system, turns


def _add_turn(
    turns: list[dict[str, Any]], role: str, content: str | list[dict[str, Any]]
) -> None:
    """Append a turn, joining it with the last one when the role repeats."""
    if not turns or turns[-1]["role"] != role:
        turns.append({"role": role, "content": content})
        return
    last = turns[-1]["content"]
    if isinstance(last, str) and isinstance(content, str):
        turns[-1]["content"] = last + "\n\n" + content
        return

    def blocks(value: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": "text", "text": value}] if isinstance(value, str) else value

    turns[-1]["content"] = blocks(last) + blocks(content)


class AnthropicProvider(HostedProvider):
    kind = "anthropic"
    default_base_url = "https://api.anthropic.com"

    def _request(
        self, messages: list[ChatMessage], options: GenerationOptions, stream: bool
    ) -> tuple[str, dict[str, str], dict[str, Any], dict[str, str] | None]:
        system, turns = anthropic_turns(messages)
        headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
        if self._key:
            headers["x-api-key"] = self._key
        # Newer Claude models refuse temperature and top_p together: send temperature only.
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": options.max_tokens,
            "messages": turns,
            "temperature": min(options.temperature, 1.0),
            "stream": stream,
        }
        if system:
            body["system"] = system
        if options.tools:
            body["tools"] = [
                {"name": t["name"], "description": t["description"],
                 "input_schema": t["parameters"]}
                for t in tool_schemas(options.tools)
            ]
        return f"{self.base_url}/v1/messages", headers, body, None

    @staticmethod
    def _usage(usage: Any, state: StreamState) -> None:
        if not isinstance(usage, dict):
            return
        if isinstance(usage.get("input_tokens"), int):
            cached = sum(
                v for k in ("cache_creation_input_tokens", "cache_read_input_tokens")
                if isinstance(v := usage.get(k), int)
            )
            state.prompt_tokens = usage["input_tokens"] + cached
        if isinstance(usage.get("output_tokens"), int):
            state.completion_tokens = usage["output_tokens"]

    def _events(
        self, events: Iterator[SSEEvent], state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        calls = state.calls
        for event in events:
            data = parse_json(event.data)
            if not isinstance(data, dict):
                state.malformed += 1
                continue
            kind = data.get("type") or event.event
            index = data.get("index")
            if kind == "content_block_delta":
                delta = data.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    yield delta["text"]
                elif delta.get("type") == "input_json_delta" and index in calls:
                    piece = delta.get("partial_json")
                    calls.add(index, arguments=piece if isinstance(piece, str) else None)
            elif kind == "content_block_start":
                block = data.get("content_block") or {}
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    calls.add(index, call_id=block.get("id"), name=block.get("name"),
                              initial=block.get("input"))
            elif kind == "content_block_stop":
                if index in calls:
                    call = calls.pop(index)
                    if call is not None:
                        yield call
            elif kind == "message_start":
                self._usage((data.get("message") or {}).get("usage"), state)
            elif kind == "message_delta":
                delta = data.get("delta") or {}
                if delta.get("stop_reason"):
                    state.finish = finish_reason(delta["stop_reason"])
                self._usage(data.get("usage"), state)
            elif kind == "message_stop":
                break
            elif kind == "error":
                err = data.get("error") or {}
                message = error_message(event.data, endpoint.secret)
                cls = (
                    HostedUnavailableError
                    if err.get("type") in ("overloaded_error", "api_error")
                    else HostedError
                )
                raise cls(f"{self.provider} reported an error mid-answer: {message}")
            # ping and unknown events carry no text
        yield from calls.pop_all()  # a block the stream never closed

    def _body(
        self, data: Any, state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        if not isinstance(data, dict) or data.get("type") != "message":
            raise HostedError(
                f"{self.provider} sent an unexpected answer: "
                f"{error_message(str(data), endpoint.secret)}"
            )
        self._usage(data.get("usage"), state)
        state.finish = finish_reason(data.get("stop_reason")) or "stop"
        text = ""  # consecutive text blocks are one piece
        for block in data.get("content") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                text += block.get("text") or ""
            elif block.get("type") == "tool_use":
                if text:
                    yield text
                    text = ""
                yield state.calls.whole(block.get("id"), block.get("name"), block.get("input"))
        if text:
            yield text
