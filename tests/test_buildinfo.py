"""llama.cpp build flags from /proc/cpuinfo text: explicit x86 features, never AMX by default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.buildinfo import cmake_args, cpu_flags

REPO_ROOT = Path(__file__).resolve().parents[1]

AVX2_CPUINFO = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz
flags\t\t: fpu vme de pse tsc msr pae mce sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c \
avx2 bmi1 bmi2 rdrand
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu vme de pse tsc msr pae mce sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c \
avx2 bmi1 bmi2 rdrand
"""

SAPPHIRE_RAPIDS_FLAGS = (
    "fpu sse sse2 avx avx2 fma f16c bmi2 avx_vnni avx512f avx512dq avx512vbmi avx512_vnni "
    "avx512_bf16 amx_bf16 amx_tile amx_int8"
)

ARM_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp
CPU implementer\t: 0x41
"""


def _options(args: list[str]) -> dict[str, str]:
    out = {}
    for arg in args:
        assert arg.startswith("-D") and "=" in arg, arg
        key, value = arg[2:].split("=", 1)
        assert key not in out, f"{key} given twice"
        out[key] = value
    return out


def test_cpu_flags_reads_the_first_flags_line() -> None:
    flags = cpu_flags(AVX2_CPUINFO)
    assert {"avx", "avx2", "fma", "f16c", "bmi2"} <= flags
    assert "avx512f" not in flags
    assert "spectre_v1" not in flags  # from the "bugs" line


def test_cpu_flags_without_a_flags_line_is_empty() -> None:
    assert cpu_flags(ARM_CPUINFO) == set()
    assert cpu_flags("") == set()


def test_avx2_only_cpu() -> None:
    opts = _options(cmake_args(cpu_flags(AVX2_CPUINFO), machine="x86_64", allow_amx=False))
    assert opts["GGML_NATIVE"] == "OFF"
    for on in ("GGML_AVX", "GGML_AVX2", "GGML_FMA", "GGML_F16C", "GGML_BMI2"):
        assert opts[on] == "ON", on
    for off in ("GGML_AVX512", "GGML_AVX512_VBMI", "GGML_AVX512_VNNI", "GGML_AVX512_BF16",
                "GGML_AVX_VNNI"):
        assert opts[off] == "OFF", off
    for amx in ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"):
        assert opts[amx] == "OFF", amx


def test_cpu_advertising_amx_still_gets_amx_off() -> None:
    flags = set(SAPPHIRE_RAPIDS_FLAGS.split())
    opts = _options(cmake_args(flags, machine="x86_64", allow_amx=False))
    assert opts["GGML_NATIVE"] == "OFF"
    assert opts["GGML_AVX512"] == "ON"
    assert opts["GGML_AVX512_BF16"] == "ON"
    assert opts["GGML_AVX_VNNI"] == "ON"
    for amx in ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"):
        assert opts[amx] == "OFF", amx


def test_amx_only_when_allowed() -> None:
    flags = set(SAPPHIRE_RAPIDS_FLAGS.split())
    opts = _options(cmake_args(flags, machine="x86_64", allow_amx=True))
    assert opts["GGML_NATIVE"] == "OFF"
    for amx in ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"):
        assert opts[amx] == "ON", amx
    # allowed, but the CPU does not advertise it: still off
    opts = _options(cmake_args({"avx2"}, machine="x86_64", allow_amx=True))
    assert opts["GGML_AMX_TILE"] == "OFF"


def test_allow_amx_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    flags = {"avx2", "amx_tile"}
    monkeypatch.delenv("LLAMA_ALLOW_AMX", raising=False)
    assert _options(cmake_args(flags, machine="x86_64"))["GGML_AMX_TILE"] == "OFF"
    monkeypatch.setenv("LLAMA_ALLOW_AMX", "1")
    assert _options(cmake_args(flags, machine="x86_64"))["GGML_AMX_TILE"] == "ON"


@pytest.mark.parametrize("machine", ["aarch64", "arm64", "ppc64le"])
def test_non_x86_machine_uses_llama_cpp_defaults(machine: str) -> None:
    args = cmake_args(cpu_flags(ARM_CPUINFO), machine=machine, allow_amx=False)
    assert args == ["-DGGML_NATIVE=ON"]


def test_flags_of_this_machine_never_enable_amx_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LLAMA_ALLOW_AMX", raising=False)
    opts = _options(cmake_args())
    assert opts.get("GGML_AMX_TILE", "OFF") == "OFF"


def test_runs_as_a_plain_script_with_only_the_standard_library() -> None:
    # The Makefile runs it with the system python before anything is installed (-I: no
    # site-packages, no user paths).
    proc = subprocess.run(
        [sys.executable, "-I", str(REPO_ROOT / "assistant" / "buildinfo.py")],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith("-DGGML_NATIVE=")
    assert "\n" not in line
