"""The router per policy (local never connects; fallback; hosted), wired through the
orchestrator, with per-message provider, tokens and cost saved."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from assistant.config import HostedProviderConfig, Settings, load_settings
from assistant.errors import ConfigError, ModelError
from assistant.events import ErrorEvent, MessageDoneEvent, StatusEvent, TokenEvent
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers.base import Finish, GenerationOptions
from providers.router import (
    RouterProvider,
    hosted_choice,
    hosted_provider,
    provider_for,
    resolve_hosted,
)
from tests.support.fake_apis import Recorder, Sleeps, event_stream, json_response, openai_chunks
from tests.support.scripted import ScriptedProvider

SECRET = "sk-router-test-key-000"
USAGE = {"prompt_tokens": 1000, "completion_tokens": 2000, "total_tokens": 3000}


def write_config(home: Path, text: str) -> None:
    folder = home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text)


ACME = (
    '[providers.acme]\nkind = "openai"\nmodel = "gpt-4o-mini"\n'
    'base_url = "https://api.acme.test/v1"\nmodels = ["gpt-4.1"]\n'
)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)


def hosted_factory(rec: Recorder, model: str = "gpt-4o-mini") -> Callable[[], object]:
    cfg = HostedProviderConfig(kind="openai", model=model, base_url="https://api.acme.test/v1")
    return lambda: hosted_provider("acme", cfg, transport=rec.transport, sleep=Sleeps())


def orchestrator_for(settings: Settings, store: Store, router: RouterProvider) -> Orchestrator:
    return Orchestrator(settings, store, provider_factory=lambda _s: router)


def done_of(events: list) -> MessageDoneEvent:
    return next(e for e in events if isinstance(e, MessageDoneEvent))


def statuses(events: list) -> list[str]:
    return [e.text for e in events if isinstance(e, StatusEvent)]


# -- construction -----------------------------------------------------------------------------


def test_no_providers_means_the_plain_local_provider(settings: Settings, store: Store) -> None:
    orch = Orchestrator(settings, store)
    assert type(orch.provider).__name__ == "LlamaCppProvider"
    assert not orch.provider.loaded


def test_configured_providers_get_a_router(fireside_home: Path, store: Store) -> None:
    write_config(fireside_home, 'policy = "fallback"\n' + ACME)
    orch = Orchestrator(load_settings(), store)
    assert isinstance(orch.provider, RouterProvider)
    assert orch.provider.policy == "fallback"


def test_policy_without_providers_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESIDE_POLICY", "hosted")
    with pytest.raises(ConfigError, match=r"no hosted provider is configured"):
        provider_for(load_settings())


def test_hosted_model_must_name_a_provider(fireside_home: Path) -> None:
    write_config(fireside_home, 'policy = "hosted"\nhosted_model = "nope/x"\n' + ACME)
    with pytest.raises(ConfigError, match="names no configured provider"):
        provider_for(load_settings())


def test_bad_provider_table_is_a_config_error(fireside_home: Path) -> None:
    write_config(fireside_home, '[providers.x]\nkind = "cohere"\nmodel = "m"\n')
    with pytest.raises(ConfigError, match="providers.x.kind"):
        load_settings()


def test_hosted_choice_and_default(fireside_home: Path) -> None:
    write_config(fireside_home, ACME)
    settings = load_settings()
    assert hosted_choice(settings, "acme/openai/gpt-4o") == ("acme", "openai/gpt-4o")
    assert hosted_choice(settings, "acme") == ("acme", "gpt-4o-mini")
    assert hosted_choice(settings, "models/x.gguf") is None
    assert hosted_choice(settings, None) is None
    assert resolve_hosted(settings.model_copy(update={"policy": "hosted"})) == (
        "acme", "gpt-4o-mini")


# -- policy local: nothing leaves the machine ------------------------------------------------


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stricter than conftest's guard: any connect or DNS lookup at all, even loopback,
    and any httpx client, fails the test."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., object]:
        def _refuse(*args: object, **kwargs: object) -> object:
            attempts.append(what)
            raise AssertionError(f"policy local attempted {what}")
        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(httpx.Client, "__init__", refuse("httpx.Client()"))
    monkeypatch.setattr(httpx.AsyncClient, "__init__", refuse("httpx.AsyncClient()"))
    return attempts


def test_policy_local_never_connects_even_with_providers_configured(
    fireside_home: Path, store: Store, monkeypatch: pytest.MonkeyPatch, no_sockets: list[str]
) -> None:
    write_config(fireside_home, 'policy = "local"\nsystem_prompt = "Be brief."\n' + ACME)
    local = ScriptedProvider(["All local."], context_size=120)
    monkeypatch.setattr("providers.models.local_provider", lambda _s: local)
    orch = Orchestrator(load_settings(), store)
    assert isinstance(orch.provider, RouterProvider)
    # A history that would go hosted under fallback stays local (and is trimmed).
    session = done_of(list(orch.run_turn("word " * 40))).session_id
    events = list(orch.run_turn("and again", session_id=session))
    assert any("dropped the 2 oldest" in s for s in statuses(events))
    done = done_of(events)
    assert done.status == "complete" and done.content == "All local."
    assert done.model == "scripted"
    assert not any("hosted" in s for s in statuses(events))
    assert store.messages(session)[-1].provider == "local"
    assert orch.provider._hosted is None  # never even constructed
    assert no_sockets == []


def test_policy_local_with_a_failing_model_reports_and_does_not_fall_back(
    store: Store, no_sockets: list[str]
) -> None:
    called: list[str] = []
    router = RouterProvider("local", lambda: ScriptedProvider(fail_load="model is broken"),
                            lambda: called.append("hosted") or None)  # type: ignore[func-returns-value]
    orch = orchestrator_for(load_settings(), store, router)
    events = list(orch.run_turn("hi"))
    assert [e.message for e in events if isinstance(e, ErrorEvent)] == ["model is broken"]
    assert called == [] and no_sockets == []


# -- policy fallback -----------------------------------------------------------------------------


def test_fallback_uses_local_when_it_works_and_never_builds_the_hosted_provider(
    store: Store,
) -> None:
    built: list[str] = []

    def hosted() -> object:
        built.append("hosted")
        raise AssertionError("hosted provider built")

    router = RouterProvider("fallback", lambda: ScriptedProvider(["Local answer."]), hosted)
    done = done_of(list(orchestrator_for(load_settings(), store, router).run_turn("hi")))
    assert done.content == "Local answer." and done.model == "scripted"
    assert built == []


def test_fallback_when_the_local_model_fails_to_load(store: Store) -> None:
    rec = Recorder(event_stream(openai_chunks(["From ", "the cloud."], usage=USAGE)))
    router = RouterProvider("fallback", lambda: ScriptedProvider(fail_load="no GGUF"),
                            hosted_factory(rec))
    orch = orchestrator_for(load_settings(), store, router)
    events = list(orch.run_turn("hi"))
    assert (
        "the local model is unavailable (no GGUF); sending this turn to acme/gpt-4o-mini "
        "(hosted)" in statuses(events)
    )
    done = done_of(events)
    assert done.content == "From the cloud." and done.model == "acme/gpt-4o-mini"
    saved = store.messages(done.session_id)
    assert [m.role for m in saved] == ["user", "assistant"]
    answer = saved[-1]
    assert answer.model == "acme/gpt-4o-mini" and answer.provider == "acme"
    assert (answer.prompt_tokens, answer.completion_tokens) == (1000, 2000)
    # gpt-4o-mini: $0.15 / $0.60 per million tokens
    assert answer.cost_usd == pytest.approx(0.00015 + 0.0012)
    # The next turn also says it goes hosted.
    events = list(orch.run_turn("again", session_id=done.session_id))
    assert any("(hosted)" in s for s in statuses(events))


def test_fallback_when_the_prompt_does_not_fit_the_local_context(store: Store) -> None:
    rec = Recorder(event_stream(openai_chunks(["Big context answer."])))
    local = ScriptedProvider(["small"], context_size=300)
    router = RouterProvider("fallback", lambda: local, hosted_factory(rec))
    orch = orchestrator_for(load_settings(), store, router)
    first = done_of(list(orch.run_turn("short question")))
    assert first.model == "scripted"
    events = list(orch.run_turn("word " * 400, session_id=first.session_id))
    assert any("does not fit the local model's 300-token context" in s
               for s in statuses(events))
    done = done_of(events)
    assert done.model == "acme/gpt-4o-mini" and done.content == "Big context answer."
    sent = rec.body()["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]  # not trimmed
    # The session now needs the big context; a new short session is local again.
    assert done_of(list(orch.run_turn("thanks", session_id=first.session_id))).model == (
        "acme/gpt-4o-mini")
    assert done_of(list(orch.run_turn("a new chat"))).model == "scripted"


def test_fallback_when_the_local_model_errors_before_its_first_token(store: Store) -> None:
    rec = Recorder(event_stream(openai_chunks(["Rescued."])))
    local = ScriptedProvider(["never"], fail_after=0)
    router = RouterProvider("fallback", lambda: local, hosted_factory(rec))
    events = list(orchestrator_for(load_settings(), store, router).run_turn("hi"))
    assert any(s.startswith("the local model failed (scripted failure mid-answer)")
               for s in statuses(events))
    done = done_of(events)
    assert done.status == "complete" and done.content == "Rescued."
    assert done.model == "acme/gpt-4o-mini"


def test_local_failure_mid_answer_keeps_the_partial_and_does_not_mix_in_hosted(
    store: Store,
) -> None:
    rec = Recorder(event_stream(openai_chunks(["never sent"])))
    local = ScriptedProvider(["one two three four"], fail_after=2)
    router = RouterProvider("fallback", lambda: local, hosted_factory(rec))
    events = list(orchestrator_for(load_settings(), store, router).run_turn("hi"))
    done = done_of(events)
    assert done.status == "error" and done.content == "one two"
    assert [e for e in events if isinstance(e, ErrorEvent)]
    assert rec.requests == []


def test_fallback_hosted_failure_is_reported_and_the_question_kept(store: Store) -> None:
    rec = Recorder(json_response(401, {"error": {"message": "bad key"}}))
    router = RouterProvider("fallback", lambda: ScriptedProvider(fail_load="no model"),
                            hosted_factory(rec))
    events = list(orchestrator_for(load_settings(), store, router).run_turn("my question"))
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "rejected the API key" in errors[0]
    assert "fireside keys set acme" in errors[0] and SECRET not in errors[0]
    session = done_of(events).session_id
    saved = store.messages(session)
    assert saved[0].content == "my question"
    assert saved[-1].status == "error"


def test_fallback_asks_before_sending_and_a_refusal_sends_nothing(store: Store) -> None:
    from providers.router import HostedPreview

    rec = Recorder(event_stream(openai_chunks(["sent"])))
    router = RouterProvider("fallback", lambda: ScriptedProvider(fail_load="no GGUF"),
                            hosted_factory(rec))
    previews: list[HostedPreview] = []
    orch = orchestrator_for(load_settings(), store, router)
    events = list(orch.run_turn(
        "a private question",
        confirm_hosted=lambda preview: previews.append(preview) or False,  # type: ignore[func-returns-value]
    ))
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert errors and "declined" in errors[0] and "acme/gpt-4o-mini" in errors[0]
    assert rec.requests == []
    preview = previews[0]
    assert preview.model == "acme/gpt-4o-mini" and preview.messages == 2
    assert "no GGUF" in preview.reason and preview.estimated_tokens > 0
    assert preview.characters >= len("a private question")
    # Allowed: the turn goes hosted.
    sent = orch.run_turn("ok, send it", confirm_hosted=lambda preview: True)
    assert done_of(list(sent)).content == "sent"


# -- policy hosted ---------------------------------------------------------------------------------


def test_hosted_policy_every_turn_is_marked(store: Store) -> None:
    rec = Recorder(event_stream(openai_chunks(["Hosted."])))
    local_built: list[str] = []
    router = RouterProvider("hosted", lambda: local_built.append("x") or ScriptedProvider(),
                            hosted_factory(rec))
    orch = orchestrator_for(load_settings(), store, router)
    for _ in range(2):
        events = list(orch.run_turn("hi"))
        assert "sending this turn to acme/gpt-4o-mini (hosted)" in statuses(events)
        assert any(isinstance(e, TokenEvent) for e in events)
    assert local_built == []


def test_hosted_timeout_mid_stream_keeps_the_partial_answer(store: Store) -> None:
    from tests.support.fake_apis import BreakingStream

    head = [c + b"\n\n" for c in openai_chunks(["Partial ", "answer"]).split(b"\n\n")[:3]]
    rec = Recorder(httpx.Response(200, stream=BreakingStream(head)))
    router = RouterProvider("hosted", ScriptedProvider, hosted_factory(rec))
    events = list(orchestrator_for(load_settings(), store, router).run_turn("hi"))
    done = done_of(events)
    assert done.status == "error" and done.content == "Partial answer"
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert "mid-answer" in errors[0] and errors[0].endswith("(partial answer saved)")
    assert store.messages(done.session_id)[-1].content == "Partial answer"


def test_hosted_missing_key_names_the_command(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIRESIDE_ACME_API_KEY")
    rec = Recorder(event_stream(openai_chunks(["never"])))
    router = RouterProvider("hosted", ScriptedProvider, hosted_factory(rec))
    events = list(orchestrator_for(load_settings(), store, router).run_turn("hi"))
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert errors and errors[0].startswith("no API key named 'acme'")
    assert "FIRESIDE_ACME_API_KEY" in errors[0]
    assert rec.requests == []


def test_router_stream_direct_and_cancel() -> None:
    rec = Recorder(event_stream(openai_chunks(["a", "b", "c"])))
    router = RouterProvider("hosted", ScriptedProvider, hosted_factory(rec))
    cancel = threading.Event()
    items = []
    for item in router.stream([{"role": "user", "content": "x"}], GenerationOptions(), cancel):
        items.append(item)
        cancel.set()
    assert items[0] == "a" and isinstance(items[-1], Finish)
    assert items[-1].reason == "cancelled"


def test_router_rejects_bad_construction() -> None:
    with pytest.raises(ConfigError):
        RouterProvider("sometimes", ScriptedProvider, None)
    with pytest.raises(ConfigError):
        RouterProvider("hosted", ScriptedProvider, None)
    router = RouterProvider("local", lambda: ScriptedProvider(fail_load="x"), None)
    with pytest.raises(ModelError):
        router.load()
