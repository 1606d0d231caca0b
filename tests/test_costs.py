"""Cost table lookups and the per-message provider/cost columns (migration 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.costs import cost_usd, price_for
from assistant.render import format_cost, message_stats, session_totals
from assistant.store import Store


def test_known_models_by_exact_name_path_suffix_and_dated_version() -> None:
    assert price_for("gpt-4o-mini") is not None
    assert price_for("openai/gpt-4o-mini") == price_for("gpt-4o-mini")
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("claude-sonnet-4-5-20250929") == price_for("claude-sonnet-4-5")
    assert price_for("gemini-2.5-flash-lite-preview") == price_for("gemini-2.5-flash-lite")


def test_unknown_models_have_no_cost() -> None:
    assert price_for("smollm2") is None
    assert cost_usd("my-local-finetune", 100, 100) is None


def test_cost_arithmetic() -> None:
    # claude-haiku-4-5: $1 / $5 per million tokens
    assert cost_usd("claude-haiku-4-5", 1_000_000, 200_000) == pytest.approx(2.0)


def test_config_overrides_and_adds_prices(fireside_home: Path) -> None:
    folder = fireside_home / "config"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(
        '[costs."my-model"]\ninput = 1.0\noutput = 2.0\n'
        '[costs."gpt-4o-mini"]\ninput = 0.0\noutput = 0.0\n'
    )
    assert cost_usd("my-model", 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert cost_usd("gpt-4o-mini", 1000, 1000) == 0.0


def test_format_cost() -> None:
    assert format_cost(1.234) == "$1.23"
    assert format_cost(0.01234) == "$0.0123"
    assert format_cost(0.00001) == "<$0.0001"
    assert format_cost(0) == "$0"


def test_messages_keep_provider_and_cost(store: Store) -> None:
    assert store.schema_version() >= 3
    session = store.create_session("t")
    store.add_message(session.id, "user", "q")
    store.add_message(session.id, "assistant", "local answer", model="SmolLM2",
                      prompt_tokens=10, completion_tokens=5, provider="local")
    store.add_message(session.id, "assistant", "hosted answer", model="acme/gpt-4o",
                      prompt_tokens=100, completion_tokens=50, provider="acme",
                      cost_usd=0.00075)
    messages = store.messages(session.id)
    assert [(m.provider, m.cost_usd) for m in messages] == [
        (None, None), ("local", None), ("acme", 0.00075)]
    assert "hosted" not in message_stats(messages[1])
    assert message_stats(messages[2]).endswith("hosted, $0.0008")
    assert session_totals(messages) == "110 prompt + 55 answer tokens, hosted cost $0.0008"
    found = store.search_messages("hosted")
    assert found and found[0].cost_usd == 0.00075
