"""The two embedders side by side in one run: MiniLM-L6-v2 on PyTorch (sentence-transformers)
and the same model as int8 ONNX (the default, ``indexer.embed_onnx``).

On the chunks of a real tree (default: an installed library's source, ``--package``; or
``--tree DIR``), indexed lexically with Fireside's own chunker, it prints one JSON line with:
- ``load_s``: a fresh process's seconds to import and load each embedder (median of 3);
- ``chunks_per_s``: bare ``encode`` throughput on the same ``--chunks`` texts, run alternately
  (torch, int8, torch, int8) so machine load hits both alike, and ``speedup``;
- ``cosine``: mean and min cosine between the two models' vectors for each chunk;
- ``neighbours_overlap@10``: for ``--queries`` chunks used as queries, the share of torch's
  10 nearest chunks that int8 also puts in its 10 nearest (1.0: the same neighbours).

Quality on real bug reports is ``bench/localization_bench.py --model NAME``.
Usage: python bench/embed_bench.py [--package textual | --tree DIR] [--chunks 512]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODELS = {"torch": "all-MiniLM-L6-v2", "int8": "all-MiniLM-L6-v2-int8"}
_LOAD = (
    "import time; t = time.perf_counter()\n"
    "from indexer.embed import Embedder\n"
    "e = Embedder({name!r}); e.load(); e.encode(['warm'])\n"
    "print(time.perf_counter() - t)\n"
)


def _tree(args: argparse.Namespace, work: Path) -> Path:
    if args.tree:
        return Path(args.tree)
    spec = importlib.util.find_spec(args.package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {args.package!r} is not installed")
    dest = work / args.package
    shutil.copytree(next(iter(spec.submodule_search_locations)), dest,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _chunk_texts(tree: Path, limit: int) -> list[str]:
    from assistant.config import load_settings
    from indexer.project import open_project

    project = open_project(tree, load_settings())
    try:
        project.update(embed=False)
        return [text for _, _, text, _ in project.lexical().pending(limit)]
    finally:
        project.close()


def _load_s(name: str) -> float:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _LOAD.format(name=name)], check=True,
                             capture_output=True, text=True, cwd=REPO,
                             env=os.environ | {"PYTHONPATH": str(REPO)}).stdout
        runs.append(float(out.strip().splitlines()[-1]))
    return round(statistics.median(runs), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="textual")
    parser.add_argument("--tree", help="a folder to take chunks from instead of a package")
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    import numpy as np

    from indexer.embed import Embedder

    work = Path(tempfile.mkdtemp(prefix="fireside-embed-"))
    os.environ["FIRESIDE_HOME"] = str(work / "home")
    try:
        texts = _chunk_texts(_tree(args, work), args.chunks)
        embedders = {key: Embedder(name) for key, name in MODELS.items()}
        for embedder in embedders.values():
            embedder.encode(texts[:8])  # load and warm up, not timed
        seconds: dict[str, list[float]] = {key: [] for key in MODELS}
        vectors: dict[str, np.ndarray] = {}
        for _round in range(2):
            for key, embedder in embedders.items():
                started = time.perf_counter()
                vectors[key] = embedder.encode(texts)
                seconds[key].append(time.perf_counter() - started)
        rate = {key: round(len(texts) / min(s), 1) for key, s in seconds.items()}
        cosine = (vectors["torch"] * vectors["int8"]).sum(axis=1)
        step = max(1, len(texts) // args.queries)
        overlaps = []
        for q in range(0, len(texts), step)[: args.queries]:
            tops = []
            for key in MODELS:
                scores = vectors[key] @ vectors[key][q]
                scores[q] = -2.0  # not itself
                tops.append(set(np.argsort(-scores)[:10].tolist()))
            overlaps.append(len(tops[0] & tops[1]) / 10)
        print(json.dumps({
            "bench": "embed", "chunks": len(texts),
            "load_s": {key: _load_s(name) for key, name in MODELS.items()},
            "chunks_per_s": rate, "speedup": round(rate["int8"] / rate["torch"], 2),
            "cosine": {"mean": round(float(cosine.mean()), 4),
                       "min": round(float(cosine.min()), 4)},
            "neighbours_overlap@10": round(statistics.mean(overlaps), 3),
        }))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
