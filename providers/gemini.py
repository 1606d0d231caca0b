"""Google's Gemini API (Generative Language API) over httpx (no SDK).

``POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse`` with the key in the
``x-goog-api-key`` header (never in the URL, which could end up in logs). Every SSE ``data:``
record is a whole ``GenerateContentResponse``: text in ``candidates[0].content.parts[].text``,
``finishReason`` on the last candidate, ``usageMetadata`` (``promptTokenCount``,
``candidatesTokenCount``) on the last record. There is no end sentinel. A blocked prompt
comes as ``promptFeedback.blockReason``; an ``{"error": …}`` record ends the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from assistant.errors import HostedError
from providers._hosted import HostedProvider, StreamState, finish_reason
from providers._http import Endpoint, SSEEvent, error_message, parse_json
from providers.anthropic import split_messages
from providers.base import ChatMessage, GenerationOptions


class GeminiProvider(HostedProvider):
    kind = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"

    def _request(
        self, messages: list[ChatMessage], options: GenerationOptions, stream: bool
    ) -> tuple[str, dict[str, str], dict[str, Any], dict[str, str] | None]:
        system, turns = split_messages(messages)
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
            "contents": [
                {"role": "model" if t["role"] == "assistant" else "user",
                 "parts": [{"text": t["content"]}]}
                for t in turns
            ],
            "generationConfig": config,
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        model = self.model.removeprefix("models/")
        if stream:
            url = f"{self.base_url}/v1beta/models/{model}:streamGenerateContent"
            return url, headers, body, {"alt": "sse"}
        return f"{self.base_url}/v1beta/models/{model}:generateContent", headers, body, None

    def _record(self, data: dict[str, Any], state: StreamState, endpoint: Endpoint) -> str:
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
        text = ""
        candidates = data.get("candidates") or []
        if candidates and isinstance(candidates[0], dict):
            candidate = candidates[0]
            content = candidate.get("content") or {}
            for part in content.get("parts") or []:
                if isinstance(part, dict) and not part.get("thought"):
                    text += part.get("text") or ""
            if candidate.get("finishReason"):
                state.finish = finish_reason(candidate["finishReason"])
        return text

    def _events(
        self, events: Iterator[SSEEvent], state: StreamState, endpoint: Endpoint
    ) -> Iterator[str]:
        for event in events:
            data = parse_json(event.data)
            if not isinstance(data, dict):
                state.malformed += 1
                continue
            text = self._record(data, state, endpoint)
            if text:
                yield text

    def _body(self, data: Any, state: StreamState, endpoint: Endpoint) -> Iterator[str]:
        if not isinstance(data, dict):
            raise HostedError(f"{self.provider} sent an unexpected answer")
        text = self._record(data, state, endpoint)
        if state.finish is None:
            state.finish = "stop"
        if text:
            yield text
