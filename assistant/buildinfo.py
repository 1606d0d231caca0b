"""The llama.cpp build flags that suit this CPU.

The Makefile runs this file as a plain script (``python3 assistant/buildinfo.py``) before
anything is installed, so it imports nothing outside the standard library. ``fireside doctor``
uses it to show the flags in force and the rebuild command.

Why: llama.cpp's default ``GGML_NATIVE=ON`` build enables every instruction set the CPU
advertises. In some VMs the CPU advertises AMX but cannot run it, and the first decode dies
with SIGSEGV in ``ggml_backend_amx_mul_mat``. So native detection is off and each x86 feature
is switched on explicitly from ``/proc/cpuinfo``; AMX only when ``LLAMA_ALLOW_AMX=1``.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# cpuinfo flag -> llama.cpp CMake option
_X86_FEATURES = [
    ("avx", "GGML_AVX"),
    ("avx2", "GGML_AVX2"),
    ("fma", "GGML_FMA"),
    ("f16c", "GGML_F16C"),
    ("bmi2", "GGML_BMI2"),
    ("avx_vnni", "GGML_AVX_VNNI"),
    ("avx512f", "GGML_AVX512"),
    ("avx512vbmi", "GGML_AVX512_VBMI"),
    ("avx512_vnni", "GGML_AVX512_VNNI"),
    ("avx512_bf16", "GGML_AVX512_BF16"),
]
_AMX = [("amx_tile", "GGML_AMX_TILE"), ("amx_int8", "GGML_AMX_INT8"), ("amx_bf16", "GGML_AMX_BF16")]


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cmake_args(
    flags: set[str] | None = None, machine: str | None = None, allow_amx: bool | None = None
) -> list[str]:
    """CMake options for llama.cpp on this machine (never AMX unless allowed)."""
    machine = machine or platform.machine()
    if allow_amx is None:
        allow_amx = os.environ.get("LLAMA_ALLOW_AMX") == "1"
    args = ["-DGGML_NATIVE=OFF"]
    if machine not in ("x86_64", "AMD64", "i686"):
        # ARM and others: no AMX risk; let llama.cpp pick its defaults for the CPU family.
        return ["-DGGML_NATIVE=ON"]
    flags = cpu_flags() if flags is None else flags
    features = list(_X86_FEATURES) + (_AMX if allow_amx else [])
    for cpu_flag, option in features:
        args.append(f"-D{option}={'ON' if cpu_flag in flags else 'OFF'}")
    if not allow_amx:
        args += [f"-D{option}=OFF" for _, option in _AMX]
    return args


if __name__ == "__main__":
    sys.stdout.write(" ".join(cmake_args()) + "\n")
