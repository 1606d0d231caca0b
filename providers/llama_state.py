"""Copying a llama.cpp context's state (KV cache and last logits) out and back in.

Used by :class:`providers.llama_cpp.LlamaCppProvider` for per-session state on disk (see
:mod:`assistant.session_state`). Works on a loaded ``llama_cpp.Llama``; the caller holds the
provider's lock. Only the KV cells of the tokens kept are written (llama.cpp serialises used
cells only), so a state's size grows with the prompt it holds.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from assistant.errors import ProviderError


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def held_tokens(llm: Any) -> list[int]:
    """The tokens whose KV cells the context holds now, in order."""
    return [int(t) for t in llm.input_ids[: llm.n_tokens]]


def truncate(llm: Any, keep: int) -> None:
    """Forget every KV cell from position ``keep`` on (the next generate re-evaluates)."""
    if keep >= llm.n_tokens:
        return
    llm._ctx.kv_cache_seq_rm(-1, keep, -1)
    llm.n_tokens = keep
    llm._requires_eval = True


def snapshot(llm: Any, llama_cpp: Any) -> Any:
    """The context's state as a ctypes byte array (one copy, no Python bytes object)."""
    ctx = llm._ctx.ctx
    size = int(llama_cpp.llama_state_get_size(ctx))
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_get_data(ctx, buffer, size))
    if written <= 0 or written > size:
        raise ProviderError("llama.cpp could not copy the model state")
    if written < size:
        buffer = (ctypes.c_uint8 * written).from_buffer(buffer)
    return buffer


def restore(llm: Any, llama_cpp: Any, tokens: Sequence[int], data: bytearray) -> None:
    """Put a saved state back: its KV cells, and ``tokens`` as what they hold.

    Raises ProviderError (the context is then reset, nothing half-loaded stays) when
    llama.cpp refuses the data (wrong model, truncated, corrupt)."""
    n = len(tokens)
    if n == 0 or n > llm.n_ctx():
        raise ProviderError(f"a saved state of {n} tokens does not fit this context")
    size = len(data)
    buffer = (ctypes.c_uint8 * size).from_buffer(data)
    try:
        read = int(llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, size))
    except Exception as exc:  # ctypes or llama.cpp errors: never half-loaded
        read = -1
        reason = str(exc)
    else:
        reason = f"llama.cpp read {read} of {size} bytes"
    if read != size:
        llm._ctx.kv_cache_clear()
        llm.reset()
        raise ProviderError(f"the saved state does not load ({reason})")
    llm.input_ids[:n] = list(tokens)
    llm.n_tokens = n
    # The logits restored are those of the last token: generate() re-evaluates at least one
    # token before sampling (it replays the last one when nothing else is new).
    llm._requires_eval = True
