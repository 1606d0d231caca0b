"""Shared HTTP plumbing for the hosted providers: SSE parsing, errors, bounded retries.

* :func:`iter_sse` parses Server-Sent Events incrementally from an iterator of lines
  (``httpx.Response.iter_lines``), tolerating comments, unknown fields and a last event
  without its blank line.
* :class:`HostedHTTP` sends one request with retries: 429 (honouring ``Retry-After``), 408,
  5xx and connection failures are retried with exponential backoff while the attempt count
  and the deadline allow; 401/403 fail at once. It never retries once the body has started
  to stream, so an answer is never duplicated.
* :func:`read_lines` turns a failure in the middle of a stream (timeout, broken connection)
  into a :class:`~assistant.errors.HostedUnavailableError` after the lines already read.

Error messages name the provider and the fix, and never contain the API key.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from assistant.errors import (
    HostedAuthError,
    HostedError,
    HostedRateLimitError,
    HostedUnavailableError,
    UnknownModelError,
)
from assistant.secrets import scrub

MAX_ERROR_CHARS = 300
MAX_ERROR_BODY = 64 * 1024
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


class Cancelled(Exception):
    """The user cancelled while a request was waiting to be retried."""


# -- SSE ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str
    id: str | None = None


def iter_sse(lines: Iterable[str]) -> Iterator[SSEEvent]:
    """Events from SSE ``lines`` (without their line endings), as they complete."""
    event = ""
    data: list[str] = []
    last_id: str | None = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SSEEvent(event or "message", "\n".join(data), last_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue  # a comment / keep-alive
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
        elif field == "id":
            last_id = value
        # "retry" and unknown fields are ignored, as the SSE spec says
    if data:  # the stream ended without the final blank line
        yield SSEEvent(event or "message", "\n".join(data), last_id)


def parse_json(text: str) -> Any:
    """``json.loads`` that returns ``None`` for malformed text (the caller counts those)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


# -- errors -------------------------------------------------------------------------------


def error_message(body: bytes | str, secret: str | None = None) -> str:
    """A short, key-free message from an API error body (every vendor uses error.message)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    data = parse_json(text)
    message = ""
    if isinstance(data, list) and data:
        data = data[0]  # Gemini's stream endpoint wraps errors in a list
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = str(err.get("message") or err.get("type") or err.get("status") or "")
        elif isinstance(err, str):
            message = err
        if not message and isinstance(data.get("detail"), str):
            message = data["detail"]
    if not message:
        message = re.sub(r"\s+", " ", text).strip()
    message = scrub(message, secret)
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    return message or "no details"


def retry_after(headers: httpx.Headers, body: bytes = b"") -> float | None:
    """Seconds to wait from ``Retry-After`` / ``retry-after-ms`` or a Gemini RetryInfo."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
    match = re.search(rb'"retryDelay"\s*:\s*"([0-9.]+)s"', body or b"")
    if match:
        return float(match.group(1))
    return None


@dataclass(frozen=True)
class Endpoint:
    """What error messages need to know about the endpoint being called."""

    provider: str  # the [providers.NAME] name
    model: str
    key_hint: str  # how to fix the key, e.g. "run `fireside keys set openai` or set …"
    secret: str | None = None


def classify(status: int, body: bytes, endpoint: Endpoint) -> HostedError:
    """The error for an HTTP error response."""
    message = error_message(body, endpoint.secret)
    name = endpoint.provider
    lowered = message.lower()
    if status in (401, 403) or (
        status == 400 and ("api key" in lowered or "api_key_invalid" in body.decode(
            "utf-8", "replace").lower())
    ):
        return HostedAuthError(
            f"{name} rejected the API key (HTTP {status}: {message}); {endpoint.key_hint}"
        )
    if status == 404 or (
        "model" in lowered
        and any(w in lowered for w in ("not found", "does not exist", "unknown", "not supported"))
    ):
        return UnknownModelError(
            f"{name} does not know the model {endpoint.model!r} (HTTP {status}: {message}); "
            f"fix `model` in [providers.{name}] in config.toml or pick another with --model"
        )
    if status == 429:
        return HostedRateLimitError(
            f"{name} is rate limiting requests (HTTP 429: {message}); wait and try again"
        )
    if status >= 500 or status in RETRY_STATUSES:
        return HostedUnavailableError(
            f"{name} failed (HTTP {status}: {message}); try again later"
        )
    return HostedError(f"{name} refused the request (HTTP {status}: {message})")


# -- requests with retries ----------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    deadline: float = 90.0  # seconds for all attempts and waits together
    base_delay: float = 0.5
    max_delay: float = 20.0

    def backoff(self, attempt: int) -> float:
        delay = self.base_delay * (2**attempt)
        return min(self.max_delay, delay * (0.75 + random.random() / 2))


Sleeper = Callable[[float, threading.Event], bool]
"""Waits ``seconds`` unless ``cancel`` is set first; returns True when cancelled."""


def _wait(seconds: float, cancel: threading.Event) -> bool:
    return cancel.wait(seconds)


class HostedHTTP:
    """One lazily created ``httpx.Client`` per provider; requests with bounded retries."""

    def __init__(
        self,
        *,
        timeout: float,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleeper | None = None,
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self._transport = transport
        self._sleep = sleep or _wait
        self._client: httpx.Client | None = None
        self.attempts = 0  # of the last request, for tests and notices

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout, connect=min(10.0, self.timeout)),
                transport=self._transport,
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @contextmanager
    def open(
        self,
        url: str,
        *,
        headers: dict[str, str],
        body: dict[str, Any],
        endpoint: Endpoint,
        cancel: threading.Event,
        params: dict[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """POST ``body`` and yield the successful (still streaming) response.

        Raises HostedError subclasses; :class:`Cancelled` when ``cancel`` is set while
        waiting to retry.
        """
        start = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self.attempts = attempt
            error: HostedError
            wait: float | None = None
            try:
                request = self.client.build_request(
                    "POST", url, headers=headers, json=body, params=params
                )
                response = self.client.send(request, stream=True)
            except httpx.TimeoutException:
                error = HostedUnavailableError(
                    f"{endpoint.provider} did not answer within {self.timeout:g} s; "
                    "check base_url or raise `timeout` in its [providers] table"
                )
            except httpx.HTTPError as exc:
                host = httpx.URL(url).host
                reason = scrub(str(exc) or type(exc).__name__, endpoint.secret)
                if _is_dns_failure(reason):
                    # Offline or a mistyped host: retrying cannot help.
                    raise HostedUnavailableError(
                        f"cannot resolve {host} for {endpoint.provider} ({reason}); are you "
                        "offline, or is base_url mistyped?"
                    ) from None
                error = HostedUnavailableError(
                    f"cannot reach {endpoint.provider} at {host} ({reason}); check base_url "
                    "and the network"
                )
            else:
                if response.status_code < 400:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                try:
                    raw = response.read()[:MAX_ERROR_BODY]
                except httpx.HTTPError:
                    raw = b""
                finally:
                    response.close()
                error = classify(response.status_code, raw, endpoint)
                if response.status_code not in RETRY_STATUSES:
                    raise error
                wait = retry_after(response.headers, raw)
            elapsed = time.monotonic() - start
            delay = wait if wait is not None else self.retry.backoff(attempt - 1)
            if attempt > self.retry.max_retries or elapsed + delay > self.retry.deadline:
                if attempt > 1:
                    raise type(error)(f"{error} (gave up after {attempt} attempts)")
                raise error
            if self._sleep(delay, cancel):
                raise Cancelled


def _is_dns_failure(reason: str) -> bool:
    lowered = reason.lower()
    return any(
        marker in lowered
        for marker in (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "no address associated with hostname",
            "getaddrinfo failed",
        )
    )


def read_lines(response: httpx.Response, endpoint: Endpoint, timeout: float) -> Iterator[str]:
    """The response's lines; a failure mid-stream raises HostedUnavailableError."""
    try:
        yield from response.iter_lines()
    except httpx.TimeoutException:
        raise HostedUnavailableError(
            f"{endpoint.provider} stopped sending mid-answer (nothing for {timeout:g} s)"
        ) from None
    except httpx.HTTPError as exc:
        reason = scrub(str(exc) or type(exc).__name__, endpoint.secret)
        raise HostedUnavailableError(
            f"the connection to {endpoint.provider} broke mid-answer ({reason})"
        ) from None
