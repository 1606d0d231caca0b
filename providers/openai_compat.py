"""Any OpenAI-compatible chat endpoint (OpenAI, OpenRouter, Groq, llama.cpp, Ollama, vLLM).

``POST {base_url}/chat/completions`` with ``stream: true``; each SSE ``data:`` line is a
``chat.completion.chunk`` whose ``choices[0].delta.content`` is the next piece, the stream
ends with ``data: [DONE]``. Usage comes in a last chunk when the server honours
``stream_options.include_usage``; otherwise Fireside estimates it. An ``{"error": …}`` object
in the stream (OpenRouter does this mid-stream) ends the answer with a HostedError.

Tools go out as ``tools: [{"type": "function", "function": {name, description,
parameters}}]``; earlier calls go back as the assistant's ``tool_calls`` and their results as
``{"role": "tool", "tool_call_id", "content"}`` messages. A streamed call arrives as
``delta.tool_calls`` fragments keyed by
``index`` (the first with ``id`` and ``function.name``, then ``function.arguments`` JSON in
pieces), several calls in parallel, ending with ``finish_reason: "tool_calls"``; the calls
are yielded when the choice finishes (or the stream ends).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from assistant.errors import HostedError
from providers._hosted import HostedProvider, StreamState, finish_reason
from providers._http import Endpoint, SSEEvent, error_message, parse_json
from providers._tool_calls import ToolCallBuffer, tool_schemas
from providers.base import ChatMessage, GenerationOptions, ToolCall


def _message(m: ChatMessage) -> dict[str, Any]:
    """One message in the API's shape: an assistant's ``tool_calls`` (arguments as JSON
    text) and role ``tool`` results answering a call by ``tool_call_id``."""
    if m["role"] == "tool":
        return {"role": "tool", "tool_call_id": m.get("tool_call_id", ""),
                "content": m["content"]}
    calls = m.get("tool_calls")
    if m["role"] == "assistant" and calls:
        return {
            "role": "assistant",
            "content": m["content"] or None,
            "tool_calls": [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name,
                              "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
                for c in calls
            ],
        }
    return {"role": m["role"], "content": m["content"]}


class OpenAICompatProvider(HostedProvider):
    kind = "openai"
    default_base_url = "https://api.openai.com/v1"

    def _request(
        self, messages: list[ChatMessage], options: GenerationOptions, stream: bool
    ) -> tuple[str, dict[str, str], dict[str, Any], dict[str, str] | None]:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [_message(m) for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if options.seed is not None:
            body["seed"] = options.seed
        if options.tools:
            body["tools"] = [
                {"type": "function", "function": schema}
                for schema in tool_schemas(options.tools)
            ]
        return f"{self.base_url}/chat/completions", headers, body, None

    @staticmethod
    def _usage(data: dict[str, Any], state: StreamState) -> None:
        usage = data.get("usage")
        if isinstance(usage, dict):
            if isinstance(usage.get("prompt_tokens"), int):
                state.prompt_tokens = usage["prompt_tokens"]
            if isinstance(usage.get("completion_tokens"), int):
                state.completion_tokens = usage["completion_tokens"]

    @staticmethod
    def _fragments(delta: dict[str, Any], calls: ToolCallBuffer) -> None:
        """Adds ``delta.tool_calls`` fragments to ``calls``. A fragment without ``index``
        (some compatible servers) starts a new call when it brings a new id."""
        fragments = delta.get("tool_calls")
        if not isinstance(fragments, list):
            return
        for fragment in fragments:
            if not isinstance(fragment, dict):
                continue
            function = fragment.get("function")
            function = function if isinstance(function, dict) else {}
            key = fragment.get("index")
            call_id = fragment.get("id") if isinstance(fragment.get("id"), str) else None
            if not isinstance(key, int):
                key = calls.key_of(call_id) if call_id else calls.last_key
                if key is None:
                    key = calls.new_key()
            name = function.get("name")
            arguments = function.get("arguments")
            calls.add(
                key,
                call_id=call_id,
                name=name if isinstance(name, str) else None,
                arguments=arguments if isinstance(arguments, str) else None,
                initial=arguments if isinstance(arguments, dict) else None,
            )

    def _events(
        self, events: Iterator[SSEEvent], state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        for event in events:
            if event.data.strip() == "[DONE]":
                break
            data = parse_json(event.data)
            if not isinstance(data, dict):
                state.malformed += 1
                continue
            if "error" in data:
                raise HostedError(
                    f"{self.provider} reported an error mid-answer: "
                    f"{error_message(event.data, endpoint.secret)}"
                )
            self._usage(data, state)
            for choice in data.get("choices") or []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                text = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(text, str) and text:
                    yield text
                if isinstance(delta, dict):
                    self._fragments(delta, state.calls)
                if choice.get("finish_reason"):
                    state.finish = finish_reason(choice["finish_reason"])
                    yield from state.calls.pop_all()
        yield from state.calls.pop_all()  # a server that never sent finish_reason

    def _body(
        self, data: Any, state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        if not isinstance(data, dict) or not data.get("choices"):
            raise HostedError(
                f"{self.provider} sent an answer without choices: "
                f"{error_message(str(data), endpoint.secret)}"
            )
        self._usage(data, state)
        choice = data["choices"][0]
        message = choice.get("message") or {}
        state.finish = finish_reason(choice.get("finish_reason")) or "stop"
        text = message.get("content") or ""
        if isinstance(text, str) and text:
            yield text
        for call in message.get("tool_calls") or []:
            if not isinstance(call, dict):
                continue
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            yield state.calls.whole(call.get("id"), function.get("name"),
                                    function.get("arguments"))
