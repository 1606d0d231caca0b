"""What the three hosted providers share: key lookup, token estimates, the request/stream loop.

A subclass builds the request (:meth:`HostedProvider._request`, including ``options.tools``
in its API's shape) and maps the vendor's SSE events (:meth:`_events`) or JSON body
(:meth:`_body`) to text pieces, :class:`~providers.base.ToolCall` items (built by
``providers._tool_calls``) and one :class:`~providers.base.Finish`. Nothing here touches
the network before :meth:`stream`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from assistant.errors import HostedError
from providers._http import (
    Cancelled,
    Endpoint,
    HostedHTTP,
    RetryPolicy,
    Sleeper,
    SSEEvent,
    iter_sse,
    parse_json,
    read_lines,
)
from providers._tool_calls import ToolCallBuffer
from providers.base import ChatMessage, Finish, GenerationOptions, Provider, ToolCall
from providers.tool_names import ToolNames

if TYPE_CHECKING:
    from assistant.config import HostedProviderConfig

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5  # a conservative estimate for English and code


def estimate_tokens(messages: list[ChatMessage]) -> int:
    """Tokens ``messages`` take, estimated (hosted tokenizers are not available offline)."""
    return sum(int(_chars(m) / CHARS_PER_TOKEN) + 4 for m in messages) + 2


def _chars(message: ChatMessage) -> int:
    calls = message.get("tool_calls") or []
    return len(message["content"]) + sum(
        len(c.name) + len(json.dumps(c.arguments, ensure_ascii=False)) for c in calls
    )


class StreamState:
    """Usage, finish reason and malformed-event count gathered while mapping a stream, and
    the tool calls being assembled (``calls``)."""

    def __init__(self, provider: str = "", names: ToolNames | None = None) -> None:
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.finish: str | None = None
        self.pieces = 0
        self.tool_calls = 0
        self.malformed = 0
        # Calls come back under their wire names; ``names`` maps them to the registry's.
        self.calls = ToolCallBuffer(provider, names.registry if names is not None else None)

    def count(self, item: str | ToolCall) -> None:
        if isinstance(item, ToolCall):
            self.tool_calls += 1
        else:
            self.pieces += 1


class HostedProvider(Provider):
    """Base for a hosted chat API (see module docstring)."""

    kind = ""
    default_base_url = ""
    hosted = True

    def __init__(
        self,
        provider: str,
        config: HostedProviderConfig,
        *,
        model: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleeper | None = None,
    ) -> None:
        self.provider = provider
        self.config = config
        self.model = model or config.model
        self.name = f"{provider}/{self.model}"
        self.base_url = (config.base_url or self.default_base_url).rstrip("/")
        self.key_name = provider if config.key is None else config.key
        self._key: str | None = None
        self._loaded = False
        self._notes: list[str] = []
        self.http = HostedHTTP(
            timeout=config.timeout,
            retry=RetryPolicy(max_retries=config.max_retries, deadline=config.deadline),
            transport=transport,
            sleep=sleep,
        )

    # -- Provider ----------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def context_size(self) -> int:
        return self.config.context_size

    def load(self) -> None:
        """Look up the API key (MissingKeyError says how to set it). No network."""
        if self._loaded:
            return
        if self.key_name:
            from assistant.secrets import require_key

            self._key = require_key(self.key_name)
        self._loaded = True

    @property
    def hosted_provider(self) -> str:
        """The ``[providers.NAME]`` name (stored with each answer; local answers say local)."""
        return self.provider

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return estimate_tokens(messages)

    def close(self) -> None:
        self.http.close()
        self._loaded = False
        self._key = None

    def take_notes(self) -> list[str]:
        """Notices for the user gathered since the last call (malformed events, retries)."""
        notes, self._notes = self._notes, []
        return notes

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        from assistant.costs import cost_usd

        return cost_usd(self.model, prompt_tokens, completion_tokens)

    # -- for subclasses -------------------------------------------------------------------

    def _endpoint(self) -> Endpoint:
        if self.key_name:
            from assistant.secrets import env_var

            hint = (
                f"set it again with `fireside keys set {self.key_name}` or "
                f"{env_var(self.key_name)}"
            )
        else:
            hint = f'this endpoint needs a key: set `key` in [providers.{self.provider}]'
        return Endpoint(self.provider, self.model, hint, self._key)

    def _request(
        self, messages: list[ChatMessage], options: GenerationOptions, stream: bool
    ) -> tuple[str, dict[str, str], dict[str, Any], dict[str, str] | None]:
        """URL, headers, JSON body and query parameters of the request."""
        raise NotImplementedError

    def _events(
        self, events: Iterator[SSEEvent], state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        """Text pieces and complete tool calls from the SSE events; fills ``state``; raises
        HostedError on an error event or a tool call whose arguments are not JSON."""
        raise NotImplementedError

    def _body(
        self, data: Any, state: StreamState, endpoint: Endpoint
    ) -> Iterator[str | ToolCall]:
        """Text and tool calls from a non-streaming JSON response; fills ``state``."""
        raise NotImplementedError

    # -- the turn -------------------------------------------------------------------------

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str | ToolCall | Finish]:
        self.load()
        streaming = self.config.stream
        # Tool names as the API accepts them (MCP tools are ``server.tool``); calls are
        # mapped back to the registry's names as they are parsed.
        names = ToolNames.for_request(messages, options)
        wire_messages, wire_options = names.encode_request(messages, options)
        url, headers, body, params = self._request(wire_messages, wire_options, streaming)
        endpoint = self._endpoint()
        state = StreamState(self.provider, names)
        cancelled = False
        try:
            with self.http.open(
                url, headers=headers, body=body, endpoint=endpoint, cancel=cancel, params=params
            ) as response:
                if self.http.attempts > 1:
                    self._notes.append(
                        f"{self.provider} answered after {self.http.attempts} attempts"
                    )
                if streaming:
                    lines = read_lines(response, endpoint, self.config.timeout)
                    for piece in self._events(iter_sse(lines), state, endpoint):
                        if cancel.is_set():
                            cancelled = True
                            break
                        state.count(piece)
                        yield piece
                    if cancel.is_set():
                        cancelled = True
                else:
                    try:
                        raw = response.read()
                    except httpx.HTTPError as exc:
                        raise HostedError(
                            f"the answer from {self.provider} broke off ({type(exc).__name__})"
                        ) from None
                    data = parse_json(raw.decode("utf-8", "replace"))
                    if data is None:
                        raise HostedError(f"{self.provider} sent an answer that is not JSON")
                    for piece in self._body(data, state, endpoint):
                        state.count(piece)
                        yield piece
        except Cancelled:
            cancelled = True
        finally:
            if state.malformed:
                note = f"{self.provider}: skipped {state.malformed} malformed stream event(s)"
                log.warning(note)
                self._notes.append(note)
        if (
            streaming and not cancelled and not state.pieces and not state.tool_calls
            and state.finish is None
        ):
            what = "only malformed stream events" if state.malformed else "no answer events"
            raise HostedError(
                f"{self.provider} sent {what}; is {self.base_url} an {self.kind} API "
                "endpoint?"
            )
        prompt = state.prompt_tokens
        if prompt is None:
            prompt = self.count_tokens(messages)
        completion = state.completion_tokens
        if completion is None:
            completion = state.pieces
        reason = "cancelled" if cancelled else (state.finish or "stop")
        if state.tool_calls and not cancelled:
            reason = "tool_calls"  # Gemini says STOP after a functionCall; some servers too
        yield Finish(reason, prompt_tokens=prompt, completion_tokens=completion)


FINISH_REASONS = {
    # OpenAI
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    # Anthropic
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
    # Gemini
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "OTHER": "stop",
}


def finish_reason(raw: str | None) -> str | None:
    """The Fireside finish reason (stop, length, content_filter, tool_calls) for a vendor's."""
    if not raw:
        return None
    return FINISH_REASONS.get(raw, raw.lower())
