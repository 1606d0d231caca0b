"""CLI for hosted models: `models list`, `chat --model PROVIDER/MODEL`, cost in `sessions show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.store import Store
from providers import router as router_module
from tests.support.fake_apis import Recorder, Sleeps, event_stream, openai_chunks

SECRET = "sk-cli-test-secret-123"
CONFIG = (
    '[providers.acme]\nkind = "openai"\nmodel = "gpt-4o-mini"\n'
    'base_url = "https://api.acme.test/v1"\nmodels = ["gpt-4.1"]\n'
    '[providers.claude]\nkind = "anthropic"\nmodel = "claude-haiku-4-5"\n'
)


@pytest.fixture
def configured(fireside_home: Path) -> Path:
    folder = fireside_home / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG)
    return folder / "config.toml"


def test_models_list_without_providers() -> None:
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    assert "policy: local" in result.output
    assert "SmolLM2-135M-Instruct.Q4_1" in result.output and "local" in result.output
    assert "No hosted providers" in result.output


def test_models_list_shows_hosted_models_with_provider_and_key_state(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    acme = next(line for line in lines if line.startswith("acme/gpt-4o-mini"))
    assert "acme" in acme and "openai" in acme and "key acme: env" in acme
    assert any(line.startswith("acme/gpt-4.1") for line in lines)
    claude = next(line for line in lines if line.startswith("claude/claude-haiku-4-5"))
    assert "anthropic" in claude and "key claude: not set" in claude
    assert SECRET not in result.output
    data = json.loads(CliRunner().invoke(app, ["models", "list", "--json"]).output)
    assert [m["id"] for m in data["models"]][1:] == [
        "acme/gpt-4o-mini", "acme/gpt-4.1", "claude/claude-haiku-4-5"]
    assert data["models"][0]["provider"] == "local"


def test_chat_with_a_hosted_model_and_sessions_show_cost(
    configured: Path, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    monkeypatch.setenv("FIRESIDE_ACME_API_KEY", SECRET)
    usage = {"prompt_tokens": 20000, "completion_tokens": 10000, "total_tokens": 30000}
    rec = Recorder(event_stream(openai_chunks(["Hosted ", "hello."], usage=usage)))
    real = router_module.hosted_provider

    def with_fake_transport(*args: Any, **kwargs: Any) -> Any:
        return real(*args, transport=rec.transport, sleep=Sleeps(), **kwargs)

    monkeypatch.setattr(router_module, "hosted_provider", with_fake_transport)
    result = CliRunner().invoke(app, ["chat", "--json", "--model", "acme/gpt-4.1", "hi"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["model"] == "acme/gpt-4.1" and out["content"] == "Hosted hello."
    assert rec.body()["model"] == "gpt-4.1"
    assert out["usage"] == {"prompt_tokens": 20000, "completion_tokens": 10000}
    shown = CliRunner().invoke(app, ["sessions", "show", out["session_id"]])
    assert shown.exit_code == 0, shown.output
    # gpt-4.1: $2.00 in / $8.00 out per million tokens -> 0.04 + 0.08
    assert "acme/gpt-4.1" in shown.output and "hosted" in shown.output
    assert "$0.1200" in shown.output
    assert "Total: 20000 prompt + 10000 answer tokens, hosted cost $0.1200" in shown.output
    assert SECRET not in shown.output
    exported = CliRunner().invoke(app, ["sessions", "export", out["session_id"], "-f", "json"])
    answer = json.loads(exported.output)["messages"][-1]
    assert answer["provider"] == "acme" and answer["cost_usd"] == pytest.approx(0.12)
    for path in store.path.parent.glob(store.path.name + "*"):  # the db and its WAL
        assert SECRET.encode() not in path.read_bytes()


def test_chat_with_a_hosted_model_and_no_key_says_how_to_set_it(configured: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--model", "claude", "hi"])
    assert result.exit_code == 1
    assert "no API key named 'claude'" in result.output
    assert "FIRESIDE_CLAUDE_API_KEY" in result.output


def test_unknown_hosted_prefix_is_treated_as_a_model_path(configured: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--model", "nope/model.gguf", "hi"])
    assert result.exit_code != 0
    assert "model file not found" in result.output
