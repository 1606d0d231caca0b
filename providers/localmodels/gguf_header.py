"""Read what a GGUF file says about its model without loading the weights.

Only the header is parsed (key/value metadata and the tensor table); tensor data is never
touched. Long arrays (the vocabulary, merges) are skipped rather than decoded, so a header
with 150k tokens reads in milliseconds. The ``gguf`` package's ``GGUFReader`` builds a numpy
view for every array element instead, which costs far more for listing many files.

Exports :class:`GGUFHeader`, :func:`read_header` and :data:`FILE_TYPES`.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ModelError

MAGIC = b"GGUF"
# general.file_type (llama_ftype) -> the quantization name users see in file names.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE",
}
# ggml tensor types, for files without general.file_type (the most common one is reported).
TENSOR_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 10: "Q2_K",
    11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 16: "IQ2_XXS", 17: "IQ2_XS",
    18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
    29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}
# Scalar value types: struct format and size.
_SCALARS = {
    0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
    6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9
# Arrays shorter than this are decoded (small lists such as split counts); longer are skipped.
_DECODE_ARRAY_MAX = 64


@dataclass
class GGUFHeader:
    """The metadata of one GGUF file (one shard of a split model)."""

    version: int
    metadata: dict[str, Any] = field(default_factory=dict)
    tensor_count: int = 0
    parameters: int = 0  # elements in this file's tensors
    tensor_type_counts: dict[int, int] = field(default_factory=dict)

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return str(value) if value else None

    @property
    def context_length(self) -> int | None:
        arch = self.architecture
        value = self.metadata.get(f"{arch}.context_length") if arch else None
        return int(value) if isinstance(value, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None

    @property
    def quantization(self) -> str | None:
        ftype = self.metadata.get("general.file_type")
        if isinstance(ftype, int) and ftype in FILE_TYPES:
            return FILE_TYPES[ftype]
        quantized = {t: n for t, n in self.tensor_type_counts.items() if t not in (0, 1, 30)}
        counts = quantized or self.tensor_type_counts
        if not counts:
            return None
        common = max(counts, key=lambda t: counts[t])
        return TENSOR_TYPES.get(common, f"type {common}")

    def arch_value(self, key: str) -> Any:
        """``{architecture}.{key}`` from the metadata (None when absent)."""
        arch = self.architecture
        return self.metadata.get(f"{arch}.{key}") if arch else None


class _Cursor:
    def __init__(self, buf: Any, size: int) -> None:
        self.buf = buf
        self.size = size
        self.pos = 0

    def take(self, fmt: str, n: int) -> Any:
        if self.pos + n > self.size:
            raise ModelError("the GGUF header is cut short (truncated file?)")
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += n
        return value

    def string(self, keep: bool = True) -> str:
        length = self.take("<Q", 8)
        end = self.pos + length
        if end > self.size or length > 1 << 26:
            raise ModelError("the GGUF header has an impossible string length")
        text = bytes(self.buf[self.pos:end]).decode("utf-8", "replace") if keep else ""
        self.pos = end
        return text

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.take(*_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.array()
        raise ModelError(f"the GGUF header has an unknown value type {vtype}")

    def array(self) -> Any:
        etype = self.take("<I", 4)
        count = self.take("<Q", 8)
        if count <= _DECODE_ARRAY_MAX:
            return [self.value(etype) for _ in range(count)]
        if etype in _SCALARS:  # fixed width: one jump
            self.pos += count * _SCALARS[etype][1]
            if self.pos > self.size:
                raise ModelError("the GGUF header is cut short (truncated file?)")
        elif etype == _STRING:
            self._skip_strings(count)
        else:
            for _ in range(count):
                self.value(etype)
        return _Skipped(count)

    def _skip_strings(self, count: int) -> None:
        unpack, buf, pos, size = struct.unpack_from, self.buf, self.pos, self.size
        for _ in range(count):
            if pos + 8 > size:
                raise ModelError("the GGUF header is cut short (truncated file?)")
            pos += 8 + unpack("<Q", buf, pos)[0]
        if pos > size:
            raise ModelError("the GGUF header is cut short (truncated file?)")
        self.pos = pos


@dataclass(frozen=True)
class _Skipped:
    """An array too long to keep (only its length is recorded)."""

    length: int


def read_header(path: Path) -> GGUFHeader:
    """The header of ``path``; raises ModelError (one line) for anything that is not a
    readable GGUF v2/v3 file."""
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            if size < 24:
                raise ModelError("not a GGUF file (too small)")
            if handle.read(4) != MAGIC:
                raise ModelError("not a GGUF file (no GGUF magic)")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(buf, size)
    except OSError as exc:
        raise ModelError(f"cannot read: {exc.strerror or exc}") from None
    except (struct.error, ValueError) as exc:
        raise ModelError(f"the GGUF header is damaged ({exc})") from None


def _parse(buf: Any, size: int) -> GGUFHeader:
    cur = _Cursor(buf, size)
    cur.pos = 4
    version = cur.take("<I", 4)
    if version not in (2, 3):
        raise ModelError(f"unsupported GGUF version {version}")
    tensor_count = cur.take("<Q", 8)
    kv_count = cur.take("<Q", 8)
    if tensor_count > 1 << 24 or kv_count > 1 << 20:
        raise ModelError("the GGUF header has impossible counts")
    header = GGUFHeader(version, tensor_count=tensor_count)
    for _ in range(kv_count):
        key = cur.string()
        vtype = cur.take("<I", 4)
        value = cur.value(vtype)
        if not isinstance(value, _Skipped):
            header.metadata[key] = value
    for _ in range(tensor_count):
        cur.string(keep=False)
        dims = cur.take("<I", 4)
        if dims > 8:
            raise ModelError("the GGUF tensor table is damaged")
        elements = 1
        for _ in range(dims):
            elements *= cur.take("<Q", 8)
        ttype = cur.take("<I", 4)
        cur.take("<Q", 8)  # offset
        header.parameters += elements
        header.tensor_type_counts[ttype] = header.tensor_type_counts.get(ttype, 0) + 1
    return header
