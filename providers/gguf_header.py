"""Read a GGUF file's trained context length from its header, without loading the model.

llama.cpp is asked for a context of the configured size before it says how long the model
was trained for; a size far past that fails inside llama.cpp (``context_size = 10**7`` could
not create the context). Reading ``<architecture>.context_length`` first lets the provider cap
the request. Stdlib only; stops at the first key it needs.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
_STRING, _ARRAY = 8, 9
MAX_KEYS = 10_000


def _read(handle: BinaryIO, fmt: str) -> int | float | bool:
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack("<" + fmt, data)[0]


def _string(handle: BinaryIO) -> bytes:
    length = int(_read(handle, "Q"))
    if length > 1 << 24:
        raise ValueError("implausible GGUF string")
    return handle.read(length)


def _value(handle: BinaryIO, kind: int) -> object:
    if kind in _SCALARS:
        return _read(handle, _SCALARS[kind])
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind, count = int(_read(handle, "I")), int(_read(handle, "Q"))
        if item_kind in _SCALARS:  # skip without reading item by item
            handle.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, 1)
        else:
            for _ in range(count):
                _value(handle, item_kind)
        return None
    raise ValueError(f"unknown GGUF value type {kind}")


def trained_context(path: Path) -> int | None:
    """The model's trained context length, or None when the header does not say (or the file
    is not a readable GGUF)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"GGUF":
                return None
            _read(handle, "I")  # version
            _read(handle, "Q")  # tensor count
            keys = int(_read(handle, "Q"))
            for _ in range(min(keys, MAX_KEYS)):
                key = _string(handle).decode("utf-8", "replace")
                value = _value(handle, int(_read(handle, "I")))
                if key.endswith(".context_length") and isinstance(value, int):
                    return int(value) or None
    except (OSError, ValueError, struct.error):
        return None
    return None
