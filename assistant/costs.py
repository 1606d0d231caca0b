"""What a hosted answer cost: token counts × the prices in ``data/costs.toml``.

Exports :func:`price_for` and :func:`cost_usd`. Unknown models have no price (``None``):
Fireside then records token counts only. ``[costs."MODEL"]`` tables in ``config.toml``
(``input`` / ``output`` in USD per million tokens) add or override prices.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Price:
    input: float  # USD per million prompt tokens
    output: float  # USD per million completion tokens


def _parse(table: object) -> dict[str, Price]:
    prices: dict[str, Price] = {}
    if not isinstance(table, dict):
        return prices
    for model, entry in table.items():
        if not isinstance(entry, dict):
            continue
        try:
            prices[str(model)] = Price(float(entry["input"]), float(entry["output"]))
        except (KeyError, TypeError, ValueError):
            continue
    return prices


@lru_cache(maxsize=1)
def _packaged() -> dict[str, Price]:
    from data import read_text

    return _parse(tomllib.loads(read_text("costs.toml")).get("models"))


def _configured() -> dict[str, Price]:
    from assistant.config import read_config_file
    from assistant.errors import ConfigError
    from assistant.paths import get_paths

    try:
        return _parse(read_config_file(get_paths().config_file).get("costs"))
    except ConfigError:
        return {}


def price_for(model: str) -> Price | None:
    """The price of ``model``: exact name, then its last ``/`` part, then the longest known
    name it starts with (dated versions)."""
    table = {**_packaged(), **_configured()}
    for name in (model, model.rsplit("/", 1)[-1]):
        if name in table:
            return table[name]
    base = model.rsplit("/", 1)[-1]
    matches = [k for k in table if base.startswith(k + "-")]
    return table[max(matches, key=len)] if matches else None


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """The answer's cost in USD, or ``None`` when the model's price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    return round(
        (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000, 8
    )
