"""Google's Gemini API (Generative Language API) over httpx (no SDK).

``POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse`` with the key in the
``x-goog-api-key`` header (never in the URL, which could end up in logs). Every SSE ``data:``
record is a whole ``GenerateContentResponse``: text in ``candidates[0].content.parts[].text``,
``finishReason`` on the last candidate, ``usageMetadata`` (``promptTokenCount``,
``candidatesTokenCount``) on the last record. There is no end sentinel. A blocked prompt
comes as ``promptFeedback.blockReason``; an ``{"error": …}`` record ends the answer.

Tools go out as ``tools: [{"functionDeclarations": [{name, description, parameters}]}]``.
A call comes whole as a ``functionCall`` part (``name``, ``args`` as an object, ``id`` on
newer models; Fireside makes one up otherwise); ``finishReason`` stays ``STOP``, so the
Finish says ``tool_calls`` because calls were yielded. Earlier calls go back as
``functionCall`` parts and their results as ``functionResponse`` parts.
``MALFORMED_FUNCTION_CALL`` (the model
wrote a call Gemini could not parse) is a HostedError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from assistant.errors import HostedError
from providers._hosted import HostedProvider, StreamState, finish_reason
from providers._http import Endpoint, SSEEvent, error_message, parse_json
from providers._tool_calls import tool_schemas
from providers.base import ChatMessage, GenerationOptions, ToolCall


def gemini_contents(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """User/model turns (system text goes separately): an assistant's calls as
    ``functionCall`` parts, tool results as ``functionResponse`` parts of a user turn
    (``{"result": text}``, or ``{"error": text}`` when the tool failed); turns of the same
    role are joined, and the chat starts with a user turn."""
    contents: list[dict[str, Any]] = []
    for m in messages:
        role = m["role"]
        parts: list[dict[str, Any]]
        if role == "tool":
            key = "error" if m.get("is_error") else "result"
            parts = [{"functionResponse": {"name": m.get("name", ""),
                                           "response": {key: m["content"]}}}]
            role = "user"
        elif role == "assistant" and m.get("tool_calls"):
            parts = [{"text": m["content"]}] if m["content"] else []
            parts += [{"functionCall": {"name": c.name, "args": c.arguments}}
                      for c in m.get("tool_calls") or []]
        elif role in ("user", "assistant") and m["content"]:
            parts = [{"text": m["content"]}]
        else:
            continue
        gemini_role = "model" if role == "assistant" else "user"
        if contents and contents[-1]["role"] == gemini_role:
            last = contents[-1]["parts"]
            if (len(parts) == 1 and "text" in parts[0] and last and "text" in last[-1]):
                last[-1] = {"text": last[-1]["text"] + "\n\n" + parts[0]["text"]}
            else:
                last.extend(parts)
        else:
            contents.append({"role": gemini_role, "parts": parts})
    while contents and contents[0]["role"] != "user":
        contents.pop(0)
    return contents


class GeminiProvider(HostedProvider):
    kind = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"

    def _request(
        self, messages: list[ChatMessage], options: GenerationOptions, stream: bool
    ) -> tuple[str, dict[str, str], dict[str, Any], dict[str, str] | None]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        headers = {"content-type": "application/json"}
        if self._key:
            headers["x-goog-api-key"] = self._key
        config: dict[str, Any] = {
            "maxOutputTokens": options.max_tokens,
            "temperature": options.temperature,
            "topP": options.top_p,
        }
        if options.seed is not None:
            config["seed"] = options.seed
        body: dict[str, Any] = {
            "contents": gemini_contents(messages),
            "generationConfig": config,
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if options.tools:
            body["tools"] = [{"functionDeclarations": tool_schemas(options.tools)}]
        model = self.model.removeprefix("models/")
        if stream:
            url = f"{self.base_url}/v1beta/models/{model}:streamGenerateContent"
            return url, headers, body, {"alt": "sse"}
        return f"{self.base_url}/v1beta/models/{model}:generateContent", headers, body, None

    def _record(
        self, data: dict[str, Any], state: StreamState, endpoint: Endpoint
    ) -> list[str | ToolCall]:
        """The record's text (consecutive text parts joined) and function calls, in order."""
        if "error" in data:
            raise HostedError(
                f"{self.provider} reported an error mid-answer: "
                f"{error_message(json.dumps(data), endpoint.secret)}"
            )
        usage = data.get("usageMetadata")
        if isinstance(usage, dict):
            if isinstance(usage.get("promptTokenCount"), int):
                state.prompt_tokens = usage["promptTokenCount"]
            out = [usage.get(k) for k in ("candidatesTokenCount", "thoughtsTokenCount")]
            if any(isinstance(v, int) for v in out):
                state.completion_tokens = sum(v for v in out if isinstance(v, int))
        feedback = data.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            raise HostedError(
                f"{self.provider} blocked the prompt ({feedback['blockReason']}); rephrase it"
            )
        items: list[str | ToolCall] = []
        text = ""
        candidates = data.get("candidates") or []
        if candidates and isinstance(candidates[0], dict):
            candidate = candidates[0]
            content = candidate.get("content") or {}
            for part in content.get("parts") or []:
                if not isinstance(part, dict) or part.get("thought"):
                    continue
                call = part.get("functionCall")
                if isinstance(call, dict):
                    if text:
                        items.append(text)
                        text = ""
                    items.append(state.calls.whole(call.get("id"), call.get("name"),
                                                   call.get("args")))
                else:
                    text += part.get("text") or ""
            if candidate.get("finishReason") == "MALFORMED_FUNCTION_CALL":
                raise HostedError(
                    f"{self.provider} could not parse the tool call the model wrote "
                    "(finishReason MALFORMED_FUNCTION_CALL); try again or rephrase"
                )
            if candidate.get("finishReason"):
                state.finish = finish_reason(candidate["finishReason"])
        if text:
            items.append(text)
        return items

    def _events(
        self, events: Iterator[SSEEvent], state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        for event in events:
            data = parse_json(event.data)
            if not isinstance(data, dict):
                state.malformed += 1
                continue
            yield from self._record(data, state, endpoint)

    def _body(
        self, data: Any, state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        if not isinstance(data, dict):
            raise HostedError(f"{self.provider} sent an unexpected answer")
        items = self._record(data, state, endpoint)
        if state.finish is None:
            state.finish = "stop"
        yield from items
