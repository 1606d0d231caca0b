"""Local-first routing: which provider answers a turn, by the ``policy`` setting.

* ``local`` — only the local model. The hosted provider is never even constructed, so no
  HTTP client exists and no connection is attempted.
* ``fallback`` — the local model first; the hosted model when the local one fails to load,
  fails before its first token, or the prompt does not fit its context.
* ``hosted`` — the hosted model (also what ``--model PROVIDER/MODEL`` selects).

The router is itself a :class:`~providers.base.Provider`: its name, context size and token
counts are those of the provider answering the current turn, so the saved message's
``model`` is ``provider/model`` for a hosted answer. Notices for the user ("sending this turn
to …") are collected for :meth:`take_notes`, which the orchestrator turns into status events.

Exports :class:`RouterProvider`, :class:`HostedPreview`, :func:`provider_for`,
:func:`hosted_provider`, :func:`resolve_hosted`, :func:`hosted_choice` and
:func:`with_hosted_model`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, FiresideError, HostedDeclinedError
from providers.base import (
    ChatMessage,
    ConfirmHosted,
    Finish,
    GenerationOptions,
    HostedPreview,
    Provider,
    ToolCall,
    ToolSpec,
)

if TYPE_CHECKING:
    import httpx

    from assistant.config import HostedProviderConfig, Settings
    from providers._hosted import HostedProvider

POLICIES = ("local", "fallback", "hosted")

__all__ = [
    "HostedPreview",
    "RouterProvider",
    "hosted_choice",
    "hosted_provider",
    "provider_for",
    "resolve_hosted",
    "with_hosted_model",
]


def hosted_provider(
    name: str,
    config: HostedProviderConfig,
    *,
    model: str | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Any = None,
) -> HostedProvider:
    """The provider object for one ``[providers.NAME]`` table (no network until a turn)."""
    if config.kind == "openai":
        from providers.openai_compat import OpenAICompatProvider as cls
    elif config.kind == "anthropic":
        from providers.anthropic import AnthropicProvider as cls
    elif config.kind == "gemini":
        from providers.gemini import GeminiProvider as cls
    else:  # pragma: no cover - the config model only admits the three kinds
        raise ConfigError(f"provider {name!r} has unknown kind {config.kind!r}")
    return cls(name, config, model=model, transport=transport, sleep=sleep)


def hosted_choice(settings: Settings, value: str | None) -> tuple[str, str] | None:
    """``(provider, model)`` when ``value`` is ``NAME`` or ``NAME/MODEL`` of a configured
    provider, else ``None`` (then it is a GGUF path)."""
    if not value:
        return None
    name, _, model = value.partition("/")
    config = settings.providers.get(name)
    if config is None:
        return None
    return name, model or config.model


def with_hosted_model(settings: Settings, value: str | None) -> Settings | None:
    """Settings that send every turn to the hosted model ``value`` (``NAME`` or
    ``NAME/MODEL`` of a configured provider), or ``None`` when ``value`` names none.
    What ``chat --model PROVIDER/MODEL`` and the TUI's model picker use."""
    choice = hosted_choice(settings, value)
    if choice is None:
        return None
    return settings.model_copy(update={"policy": "hosted", "hosted_model": "/".join(choice)})


def resolve_hosted(settings: Settings) -> tuple[str, str]:
    """The hosted ``(provider, model)`` for fallback/hosted turns."""
    if not settings.providers:
        raise ConfigError(
            f"policy is {settings.policy!r} but no hosted provider is configured: add a "
            '[providers.NAME] table to config.toml or set policy = "local"'
        )
    if settings.hosted_model:
        choice = hosted_choice(settings, settings.hosted_model)
        if choice is None:
            known = ", ".join(sorted(settings.providers))
            raise ConfigError(
                f"hosted_model {settings.hosted_model!r} names no configured provider "
                f"(configured: {known})"
            )
        return choice
    name, config = next(iter(settings.providers.items()))
    return name, config.model


def provider_for(settings: Settings) -> Provider:
    """What the orchestrator uses: the local provider alone when no hosted provider is
    configured and policy is local, otherwise a router."""
    from providers.models import local_provider

    if not settings.providers:
        if settings.policy != "local":
            resolve_hosted(settings)  # raises the ConfigError that explains it
        return local_provider(settings)
    hosted: Callable[[], Provider] | None = None
    if settings.policy != "local":
        name, model = resolve_hosted(settings)
        config = settings.providers[name]

        def hosted() -> Provider:
            return hosted_provider(name, config, model=model)

    return RouterProvider(settings.policy, lambda: local_provider(settings), hosted)


class RouterProvider(Provider):
    """Picks the local or the hosted provider per turn (see the module docstring)."""

    def __init__(
        self,
        policy: str,
        local: Callable[[], Provider],
        hosted: Callable[[], Provider] | None,
    ) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"unknown policy {policy!r}: use local, fallback or hosted")
        if policy != "local" and hosted is None:
            raise ConfigError(f"policy {policy!r} needs a hosted provider")
        self.policy = policy
        self._local_factory = local
        self._hosted_factory = hosted if policy != "local" else None
        self._local: Provider | None = None
        self._hosted: Provider | None = None
        self._local_error: str | None = None
        self._active: Provider | None = None
        self._notes: list[str] = []
        self._lock = threading.RLock()
        self._confirm: ConfirmHosted | None = None  # this turn's, given to route()

    # -- the two candidates ----------------------------------------------------------------

    def _get_local(self) -> Provider:
        if self._local is None:
            self._local = self._local_factory()
        return self._local

    def _get_hosted(self) -> Provider:
        if self._hosted_factory is None:
            raise ConfigError("no hosted provider is allowed by policy 'local'")
        if self._hosted is None:
            self._hosted = self._hosted_factory()
        return self._hosted

    def _use_hosted(
        self,
        why: str | None,
        *,
        note: bool = True,
        messages: list[ChatMessage] | None = None,
    ) -> Provider:
        hosted = self._get_hosted()
        hosted.load()  # the key lookup: MissingKeyError says how to set it
        confirm = self._confirm
        if self.policy == "fallback" and confirm is not None and messages is not None:
            preview = HostedPreview(
                model=hosted.name,
                reason=why or "policy",
                messages=len(messages),
                characters=sum(len(m["content"]) for m in messages),
                estimated_tokens=hosted.count_tokens(messages),
            )
            if not confirm(preview):
                raise HostedDeclinedError(
                    f"not sent to {hosted.name}: sending to a hosted model was declined "
                    f"({why})"
                )
        self._active = hosted
        if note:
            text = f"sending this turn to {hosted.name} (hosted)"
            self._notes.append(f"{why}; {text}" if why else text)
        return hosted

    def _try_local(self) -> Provider | None:
        """The loaded local provider, or None (fallback only) when it cannot load."""
        if self._local_error:
            return None
        try:
            local = self._get_local()
            local.load()
        except FiresideError as exc:
            if self.policy != "fallback":
                raise
            self._local_error = str(exc)
            return None
        return local

    @property
    def active(self) -> Provider:
        """The provider answering now (before any turn: the one policy tries first)."""
        with self._lock:
            if self._active is not None:
                return self._active
            if self.policy == "hosted":
                return self._get_hosted()
            if self.policy == "fallback":
                if not self._local_error:
                    try:
                        return self._get_local()
                    except FiresideError as exc:
                        self._local_error = str(exc)
                return self._get_hosted()
            return self._get_local()

    @property
    def is_hosted(self) -> bool:
        return self._active is not None and self._active is self._hosted

    # -- Provider -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.active.name

    @property
    def loaded(self) -> bool:
        return self._active is not None and self._active.loaded

    @property
    def context_size(self) -> int:
        return self.active.context_size

    @property
    def template_note(self) -> str | None:  # type: ignore[override]
        return self.active.template_note if not self.is_hosted else None

    @property
    def hosted_provider(self) -> str | None:  # type: ignore[override]
        active = self._active
        return active.hosted_provider if active is not None and self.is_hosted else None

    @property
    def calls_tools_reliably(self) -> bool:  # type: ignore[override]
        return self.active.calls_tools_reliably

    def load(self) -> None:
        """Load what policy tries first (fallback: hosted if the local model cannot load)."""
        with self._lock:
            if self.policy == "hosted":
                self._use_hosted(None, note=False)
                return
            local = self._try_local()
            if local is None:
                self._use_hosted(None, note=False)
            else:
                self._active = local

    def route(
        self,
        messages: list[ChatMessage],
        reserve: Callable[[int], int],
        confirm: ConfirmHosted | None = None,
    ) -> None:
        """Pick the provider for a turn whose full prompt is ``messages``; a hosted pick adds
        a notice saying so. Fallback goes hosted when the local model cannot load or the
        prompt does not fit its context with ``reserve(context_size)`` tokens left for the
        answer. ``confirm`` is this turn's: asked before a fallback turn goes hosted (here,
        or when the local model fails before its first token)."""
        with self._lock:
            self._confirm = confirm
            if self.policy == "hosted":
                self._use_hosted(None)
                return
            local = self._try_local()
            if local is None:
                self._use_hosted(
                    f"the local model is unavailable ({self._local_error})", messages=messages
                )
                return
            self._active = local
            if self.policy == "fallback":
                tokens = local.count_tokens(messages)
                if tokens + reserve(local.context_size) > local.context_size:
                    self._use_hosted(
                        f"the prompt ({tokens} tokens) does not fit the local model's "
                        f"{local.context_size}-token context",
                        messages=messages,
                    )

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.active.count_tokens(messages)

    def warm_up(self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()) -> None:
        """Warm the local model (its prompt without ``tools``: the pick is made per turn)."""
        if self.policy == "hosted" or self._local_error:
            return
        try:
            self._get_local().warm_up(messages)
        except FiresideError as exc:
            if self.policy != "fallback":
                raise
            self._local_error = str(exc)

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str | ToolCall | Finish]:
        if self._active is None:
            self.load()
        provider = self.active
        produced = False
        try:
            for item in provider.stream(messages, options, cancel):
                if isinstance(item, ToolCall) or (isinstance(item, str) and item):
                    produced = True
                yield item
            return
        except FiresideError as exc:
            if self.policy != "fallback" or provider is not self._local or produced:
                raise
            failure = exc
        if cancel.is_set():
            yield Finish("cancelled", 0, 0)
            return
        with self._lock:
            hosted = self._use_hosted(
                f"the local model failed ({failure})", messages=messages
            )
        yield from hosted.stream(messages, options, cancel)

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        active = self._active
        if active is not None:
            notes += active.take_notes()
        return notes

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if not self.is_hosted:
            return None
        active = self._active
        return active.cost(prompt_tokens, completion_tokens) if active is not None else None

    def close(self) -> None:
        for provider in (self._local, self._hosted):
            if provider is not None:
                provider.close()
        self._active = None
