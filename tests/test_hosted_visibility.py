"""Which model answered is visible everywhere: the events the orchestrator yields (model,
provider, cost), ``chat --json``, and ``fireside doctor``'s hosted section (policy, providers,
where each key is set, the keyring) — never a key's value, never a network call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import providers.models
import providers.probe
from assistant.cli import app
from assistant.config import HostedProviderConfig, load_settings
from assistant.events import ContextEvent, MessageDoneEvent, StatusEvent
from assistant.model_catalog import key_state, model_rows
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from providers import router as router_module
from providers.probe import ProbeResult
from providers.router import RouterProvider, hosted_provider, with_hosted_model
from tests.support.fake_apis import Recorder, Sleeps, event_stream, openai_chunks
from tests.support.memory_keyring import MemoryKeyring
from tests.support.scripted import ScriptedProvider

SECRET = "sk-visible-never-0042"
USAGE = {"prompt_tokens": 20000, "completion_tokens": 10000, "total_tokens": 30000}
ACME = (
    '[providers.acme]\nkind = "openai"\nmodel = "gpt-4o-mini"\n'
    'base_url = "https://api.acme.test/v1"\nmodels = ["gpt-4.1"]\n'
)
CLAUDE = '[providers.claude]\nkind = "anthropic"\nmodel = "claude-haiku-4-5"\n'
LAN = (
    '[providers.lan]\nkind = "openai"\nmodel = "qwen"\n'
    'base_url = "http://127.0.0.1:9/v1"\nkey = ""\n'
)


def write_config(home: Path, text: str) -> None:
    folder = home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text)


def acme(rec: Recorder, model: str = "gpt-4.1") -> Any:
    config = HostedProviderConfig(kind="openai", model=model, base_url="https://api.acme.test/v1")
    return lambda: hosted_provider("acme", config, transport=rec.transport, sleep=Sleeps())


# -- events ------------------------------------------------------------------------------------


def test_a_hosted_turn_names_its_model_provider_and_cost_in_the_events(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    rec = Recorder(event_stream(openai_chunks(["Hi ", "there."], usage=USAGE)))
    router = RouterProvider("hosted", lambda: ScriptedProvider(), acme(rec))
    orchestrator = Orchestrator(load_settings(), store, provider_factory=lambda _s: router)
    assert orchestrator.model_provider == "acme"
    events = list(orchestrator.run_turn("hello"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert (context.model, context.provider) == ("acme/gpt-4.1", "acme")
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert (done.model, done.provider) == ("acme/gpt-4.1", "acme")
    assert done.cost_usd == pytest.approx(0.12)  # gpt-4.1: $2 in / $8 out per million


def test_a_local_turn_says_local_and_has_no_cost(orchestrator: Orchestrator) -> None:
    assert orchestrator.model_provider == "local"
    events = list(orchestrator.run_turn("hello"))
    context = next(e for e in events if isinstance(e, ContextEvent))
    assert (context.model, context.provider) == ("scripted", "local")
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert (done.provider, done.cost_usd) == ("local", None)


def test_a_fallback_that_moves_mid_stream_announces_the_hosted_model(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local model fails before its first token: the turn moves to the hosted model,
    and a second ContextEvent says so (the TUI's status bar follows it)."""
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    rec = Recorder(event_stream(openai_chunks(["Rescued."], usage=USAGE)))
    local = ScriptedProvider(fail_after=0)
    router = RouterProvider("fallback", lambda: local, acme(rec))
    orchestrator = Orchestrator(load_settings(), store, provider_factory=lambda _s: router)
    events = list(orchestrator.run_turn("hello"))
    contexts = [e for e in events if isinstance(e, ContextEvent)]
    assert [(c.model, c.provider) for c in contexts] == [
        ("scripted", "local"), ("acme/gpt-4.1", "acme")]
    kinds = [type(e) for e in events]
    # The notice comes first, then the new context, then the answer.
    notice = next(i for i, e in enumerate(events)
                  if isinstance(e, StatusEvent) and "hosted" in e.text)
    assert notice < kinds.index(ContextEvent, kinds.index(ContextEvent) + 1)
    done = next(e for e in events if isinstance(e, MessageDoneEvent))
    assert (done.content, done.provider) == ("Rescued.", "acme")


def test_use_settings_closes_the_old_provider_and_builds_a_new_one(store: Store) -> None:
    made: list[ScriptedProvider] = []

    def factory(_settings: Any) -> ScriptedProvider:
        made.append(ScriptedProvider())
        return made[-1]

    orchestrator = Orchestrator(load_settings(), store, provider_factory=factory)
    orchestrator.load_model()
    assert made[0].loaded
    new = load_settings(max_tokens=7)
    orchestrator.use_settings(new)
    assert not made[0].loaded and orchestrator.settings is new
    assert orchestrator.provider is made[1]


def test_with_hosted_model_is_what_model_provider_slash_model_means(
    fireside_home: Path,
) -> None:
    write_config(fireside_home, ACME)
    settings = load_settings()
    picked = with_hosted_model(settings, "acme/gpt-4.1")
    assert picked is not None
    assert (picked.policy, picked.hosted_model) == ("hosted", "acme/gpt-4.1")
    assert settings.policy == "local"  # the original is left alone
    default = with_hosted_model(settings, "acme")
    assert default is not None and default.hosted_model == "acme/gpt-4o-mini"
    assert with_hosted_model(settings, "models/x.gguf") is None
    assert with_hosted_model(settings, None) is None


# -- chat --json -------------------------------------------------------------------------------


def test_chat_json_has_provider_and_cost_for_hosted_and_local(
    fireside_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(fireside_home, ACME)
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    rec = Recorder(event_stream(openai_chunks(["Hosted."], usage=USAGE)))
    real = router_module.hosted_provider

    def with_fake_transport(*args: Any, **kwargs: Any) -> Any:
        return real(*args, transport=rec.transport, sleep=Sleeps(), **kwargs)

    monkeypatch.setattr(router_module, "hosted_provider", with_fake_transport)
    monkeypatch.setattr(providers.models, "local_provider", lambda _s: ScriptedProvider(["Loc."]))
    runner = CliRunner()
    hosted = runner.invoke(app, ["chat", "--json", "--model", "acme/gpt-4.1", "hi"])
    assert hosted.exit_code == 0, hosted.output
    out = json.loads(hosted.stdout.strip().splitlines()[-1])
    assert out["provider"] == "acme"
    assert out["cost_usd"] == pytest.approx(0.12)
    assert {"session_id", "model", "content", "status", "usage", "timings"} <= set(out)
    local = runner.invoke(app, ["chat", "--json", "hi"])
    assert local.exit_code == 0, local.output
    out = json.loads(local.stdout.strip().splitlines()[-1])
    assert out["provider"] == "local"
    assert "cost_usd" in out and out["cost_usd"] is None
    assert SECRET not in hosted.output + local.output


# -- doctor ------------------------------------------------------------------------------------


@pytest.fixture
def quick_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctor's decode probe runs the real model in a subprocess: not needed here."""
    monkeypatch.setattr(providers.probe, "run_probe",
                        lambda _path, use_cache=True: ProbeResult(True, "decoded (stub)", 0.0))


def doctor_lines(*args: str) -> tuple[int, dict[str, str], str]:
    result = CliRunner().invoke(app, ["doctor", *args])
    assert "Traceback" not in result.output
    lines: dict[str, str] = {}
    for line in result.stdout.splitlines():
        if line.startswith("[") and ": " in line:
            label, _, detail = line[7:].partition(": ")
            lines[label] = line[:6] + " " + detail
    return result.exit_code, lines, result.output


def test_doctor_lists_policy_providers_key_sources_and_the_keyring(
    fireside_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    quick_probe: None,
) -> None:
    write_config(fireside_home, ACME + CLAUDE + LAN + '\n[providers.gem]\nkind = "gemini"\n'
                 'model = "gemini-2.5-flash"\n')
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    memory_keyring.set_password("fireside", "gem", "gem-secret-value-77")
    code, lines, output = doctor_lines()
    assert code == 0, output
    assert lines["policy"].startswith("[ok  ]") and "local" in lines["policy"]
    assert "nothing leaves" in lines["policy"]
    assert "openai · gpt-4o-mini" in lines["provider acme"]
    assert "FIRESIDE_ACME_API_KEY" in lines["provider acme"]
    assert "anthropic · claude-haiku-4-5" in lines["provider claude"]
    assert "not set" in lines["provider claude"] and lines["provider claude"].startswith("[--  ]")
    assert "fireside keys set claude" in lines["provider claude"]
    assert "gemini · gemini-2.5-flash" in lines["provider gem"]
    assert "OS keyring" in lines["provider gem"]
    assert "no key needed" in lines["provider lan"]
    backend = lines["keyring backend"]
    assert backend.startswith("[ok  ]") and "MemoryKeyring" in backend
    assert SECRET not in output and "gem-secret-value-77" not in output


def test_doctor_without_a_keyring_and_a_missing_key_the_policy_needs(
    fireside_home: Path, no_keyring: None, quick_probe: None
) -> None:
    write_config(fireside_home, 'policy = "hosted"\nhosted_model = "claude"\n' + ACME + CLAUDE)
    code, lines, output = doctor_lines()
    assert code == 1, output
    assert "hosted" in lines["policy"] and "claude/claude-haiku-4-5" in lines["policy"]
    assert lines["provider claude"].startswith("[FAIL]")
    assert "FIRESIDE_CLAUDE_API_KEY" in lines["provider claude"]
    assert lines["provider acme"].startswith("[--  ]")  # not used by this policy
    backend = lines["keyring backend"]
    assert backend.startswith("[--  ]")
    assert "no OS keyring" in backend and "FIRESIDE_<NAME>_API_KEY" in backend


def test_doctor_with_a_policy_but_no_provider(fireside_home: Path, quick_probe: None) -> None:
    write_config(fireside_home, 'policy = "fallback"\n')
    code, lines, output = doctor_lines()
    assert code == 1, output
    assert lines["policy"].startswith("[FAIL]") and "no hosted provider" in lines["policy"]


def test_key_state_and_model_rows_share_one_reading(
    fireside_home: Path, monkeypatch: pytest.MonkeyPatch, no_keyring: None
) -> None:
    write_config(fireside_home, ACME + LAN)
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    settings = load_settings()
    assert key_state("acme", settings.providers["acme"]) == ("acme", "env")
    assert key_state("lan", settings.providers["lan"]) == (None, "not needed")
    rows = {row["id"]: row for row in model_rows(settings)}
    assert rows["acme/gpt-4.1"]["note"] == "key acme: env"
    assert rows["lan/qwen"]["note"] == "no key needed" and rows["lan/qwen"]["ready"]
