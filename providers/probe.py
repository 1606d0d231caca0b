"""A crash-safe check that this llama.cpp build can decode with a model.

Some builds die with SIGSEGV on the first decode (e.g. AMX kernels on a CPU that advertises
AMX but cannot run it). Loading such a build in-process would take the whole app down, so the
first load after each install is preceded by a tiny decode in a subprocess; its result is
cached (keyed by the installed llama.cpp library files and the model file).

Run directly: ``python -m providers.probe MODEL.gguf`` prints one JSON line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

PROBE_TIMEOUT_S = 180
REBUILD_HINT = (
    "rebuild llama-cpp-python without native/AMX kernels: `make llama-rebuild` "
    "(or set LLAMA_CMAKE_ARGS, see README)"
)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str
    seconds: float = 0.0


def build_fingerprint() -> str | None:
    """Identifies the installed llama.cpp build without importing it; None if not installed."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    digest = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        lib = Path(folder) / "lib"
        for item in sorted(lib.glob("*")) if lib.is_dir() else []:
            st = item.stat()
            digest.update(f"{item.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _cache_key(model: Path) -> str:
    st = model.stat()
    return f"{build_fingerprint()}|{model.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _cache_file() -> Path:
    from assistant.paths import get_paths

    return get_paths().cache_dir / "llama_probe.json"


def cached_result(model: Path) -> ProbeResult | None:
    try:
        data = json.loads(_cache_file().read_text())
        entry = data[_cache_key(model)]
        return ProbeResult(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(model: Path, result: ProbeResult) -> None:
    path = _cache_file()
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[_cache_key(model)] = asdict(result)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(path)
    except OSError:  # a read-only cache folder: the probe simply runs again next time
        return


def run_probe(model: Path, *, use_cache: bool = True) -> ProbeResult:
    """Decode a few tokens with ``model`` in a subprocess; cached per build and model."""
    if use_cache and (hit := cached_result(model)) is not None:
        return hit
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "providers.probe", str(model)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"llama.cpp took over {PROBE_TIMEOUT_S} s to decode 4 tokens")
    result = _interpret(proc.returncode, proc.stdout)
    if result.ok or proc.returncode < 0:
        # Cache verdicts about the build; a load error is re-checked next time.
        _store(model, result)
    return result


def _interpret(returncode: int, stdout: str) -> ProbeResult:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return ProbeResult(False, f"llama.cpp crashed ({name}) on its first decode; {REBUILD_HINT}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    try:
        data = json.loads(lines[-1])
        return ProbeResult(bool(data["ok"]), str(data["message"]), float(data.get("seconds", 0)))
    except (IndexError, ValueError, KeyError):
        return ProbeResult(False, f"the llama.cpp probe exited with code {returncode}")


def _main(argv: list[str]) -> int:
    import time

    start = time.perf_counter()
    try:
        from providers.llama_cpp import LlamaCppProvider

        provider = LlamaCppProvider(Path(argv[0]), context_size=256, threads=1, probe=False)
        provider.load()
        provider.decode_smoke_test()
        provider.close()
        message = "decoded 4 tokens"
        ok = True
    except Exception as exc:  # report anything as a failed probe
        ok, message = False, str(exc) or type(exc).__name__
    seconds = round(time.perf_counter() - start, 3)
    print(json.dumps({"ok": ok, "message": message, "seconds": seconds}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
