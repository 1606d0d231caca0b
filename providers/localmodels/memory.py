"""Will a model fit in memory? Weights + KV cache for the context, against available RAM.

Checked before llama.cpp loads a model, so a model too big for this machine is refused with
the numbers (and the largest context that would fit) instead of swapping the machine to a
halt or being killed.

Exports :class:`Estimate`, :func:`estimate`, :func:`available_ram` and :func:`check_memory`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError

_OVERHEAD_BYTES = 150 << 20  # compute buffers, the runtime itself
_MIN_CTX = 512


@dataclass(frozen=True)
class Estimate:
    weights: int
    kv_cache: int
    overhead: int
    context: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def kv_bytes(facts: dict[str, Any], context: int) -> int:
    """f16 K and V for every layer: 2 * layers * context * kv_heads * head_dim * 2 bytes."""
    layers = facts.get("block_count") or 0
    embd = facts.get("embedding_length") or 0
    heads = facts.get("head_count") or 0
    kv_heads = facts.get("head_count_kv") or heads
    key_len = facts.get("key_length") or (embd // heads if heads else 0)
    value_len = facts.get("value_length") or key_len
    return int(layers * context * kv_heads * (key_len + value_len) * 2)


def estimate(facts: dict[str, Any], context: int) -> Estimate:
    weights = int(facts.get("size") or 0)
    return Estimate(weights, kv_bytes(facts, context),
                    _OVERHEAD_BYTES + weights // 20, context)


def available_ram() -> int | None:
    """Bytes of RAM available now (MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def check_memory(path: Path, context: int, available: int | None = None) -> int:
    """The context to load ``path`` with (capped at its trained length); raises ModelError
    with the numbers, and a context that would fit, when the estimate exceeds free RAM."""
    from providers.localmodels.discovery import header_facts

    try:
        facts = header_facts(path)
    except ModelError:
        return context  # llama.cpp will say what is wrong with the file
    trained = facts.get("context_length")
    if isinstance(trained, int) and 0 < trained < context:
        context = trained
    available = available_ram() if available is None else available
    if available is None:
        return context
    need = estimate(facts, context)
    if need.total <= available:
        return context
    smaller = context // 2
    while smaller >= _MIN_CTX and estimate(facts, smaller).total > available:
        smaller //= 2
    offer = (f"; a {smaller}-token context fits: set context_size = {smaller} in config.toml"
             if smaller >= _MIN_CTX else "; choose a smaller model or quantization")
    raise ModelError(
        f"{path.name} needs about {_gb(need.total)} of RAM (weights {_gb(need.weights)} + KV "
        f"cache {_gb(need.kv_cache)} for {context} tokens + {_gb(need.overhead)} buffers), "
        f"but only {_gb(available)} is available{offer}"
    )
