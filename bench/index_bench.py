"""The codebase indexer on a real mid-size Python project: an installed library's source
(default: textual) copied into a temp folder, plus a generated tree for the no-op figure.

Prints one JSON line:
- lexical pass: files/s, chunks/s, and seconds from starting `update(embed=False)` until the
  first lexical search answers (``lexical_ready_s``);
- embeddings: chunks/s of Fireside's embedding pass (cache lookups, MiniLM, Chroma upsert,
  SQLite) against a bare ``SentenceTransformer.encode`` of the same chunk texts in the same run
  (``embed_ratio``, target >= 0.8), on the first ``--embed-chunks`` chunks (0: all of them,
  and ``full_index_s`` = lexical pass + embedding pass);
- no-op re-index: in-process ``update()`` seconds and per 1,000 files on the copied tree and on
  a generated ``--generated``-file tree (target < 1 s per 1,000 files), and the wall time of a
  whole ``fireside index --no-embed`` process on the unchanged generated tree;
- watch: seconds from a file save to its new text being searchable (lexical), median of
  ``--edits`` saves (target < 2 s).

Usage: python bench/index_bench.py [--package textual] [--embed-chunks 256] [--generated 1500]
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _copy_package(name: str, dest: Path) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name} is not installed")
    source = Path(next(iter(spec.submodule_search_locations)))
    target = dest / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run(["git", "init", "-q", str(dest)], check=False)
    return dest


def _generate(dest: Path, files: int) -> Path:
    for i in range(files):
        folder = dest / f"pkg{i % 40:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{i}.py").write_text(
            f'"""Module {i}."""\n\n\ndef function_{i}(value):\n    return value * {i}\n\n\n'
            f"class Thing{i}:\n    def method(self):\n        return function_{i}({i})\n"
        )
    return dest


def _lexical(project) -> dict:  # noqa: ANN001
    start = time.perf_counter()
    summary = project.update(embed=False)
    hits = project.search("def compose", k=5, mode="lexical")
    ready = time.perf_counter() - start
    return {
        "files": summary.files,
        "chunks": summary.chunks,
        "lexical_s": round(summary.seconds, 3),
        "files_per_s": round(summary.files / summary.seconds, 1),
        "chunks_per_s": round(summary.chunks / summary.seconds, 1),
        "lexical_ready_s": round(ready, 3),
        "first_search_hits": len(hits),
    }


def _embedding(project, chunks: int) -> dict:  # noqa: ANN001
    embedder = project.embedder()  # loads the model (not timed)
    project.vectors().count()  # opens Chroma (not timed: a one-off per process)
    lex = project.lexical()
    if chunks <= 0:  # everything: the full index time
        chunks = lex.counts()[1]
    texts = [text for _, _, text, _ in lex.pending(chunks)]
    embedder._model.encode(texts[:16], batch_size=embedder.batch_size)  # warm up

    def bare() -> float:
        start = time.perf_counter()
        embedder._model.encode(
            texts, batch_size=embedder.batch_size, convert_to_numpy=True,
            normalize_embeddings=True, show_progress_bar=False,
        )
        return time.perf_counter() - start

    first_bare = bare()
    start = time.perf_counter()
    done = project.embed_pending(limit=chunks)
    ours = time.perf_counter() - start
    second_bare = bare()
    bare_s = (first_bare + second_bare) / 2
    return {
        "embed_s": round(ours, 2),
        "embed_chunks": done,
        "embed_chunks_per_s": round(done / ours, 1),
        "bare_encode_chunks_per_s": round(len(texts) / bare_s, 1),
        "embed_ratio": round((done / ours) / (len(texts) / bare_s), 3),
    }


def _noop(project) -> tuple[float, int]:  # noqa: ANN001
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        summary = project.update(embed=False)
        runs.append(time.perf_counter() - start)
        assert summary.changed == 0
    return statistics.median(runs), summary.files


def _watch(project, root: Path, edits: int) -> float:  # noqa: ANN001
    import threading

    target = next(p for p in sorted(root.rglob("*.py")) if p.stat().st_size > 200)
    original = target.read_text()
    watcher = project.watch(embed=False)
    latencies = []
    try:
        time.sleep(0.5)
        for n in range(edits):
            token = f"benchtoken{n}x{os.getpid()}"
            start = time.perf_counter()
            target.write_text(original + f"\n# {token}\n")
            deadline = start + 30
            while time.perf_counter() < deadline:
                if any(h.path.endswith(target.name) for h in project.search(token, mode="lexical")):
                    break
                threading.Event().wait(0.02)
            latencies.append(time.perf_counter() - start)
            time.sleep(0.5)
    finally:
        watcher.stop()
        target.write_text(original)
    return statistics.median(latencies)


def _cli_noop(root: Path, home: Path) -> float:
    exe = Path(sys.executable).with_name("fireside")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]
    env = {**os.environ, "FIRESIDE_HOME": str(home)}
    subprocess.run([*cmd, "index", str(root), "--no-embed"], env=env, check=True,
                   capture_output=True)
    start = time.perf_counter()
    subprocess.run([*cmd, "index", str(root), "--no-embed"], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="textual")
    parser.add_argument("--embed-chunks", type=int, default=256)
    parser.add_argument("--generated", type=int, default=1500)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fireside-index-bench-") as tmp:
        home = Path(tmp) / "home"
        os.environ["FIRESIDE_HOME"] = str(home)
        from assistant.config import load_settings
        from indexer.project import open_project

        settings = load_settings()
        root = _copy_package(args.package, Path(tmp) / "repo")
        project = open_project(root, settings)
        result: dict = {"bench": "index", "package": args.package, "cpus": os.cpu_count()}
        result.update(_lexical(project))
        result.update(_embedding(project, args.embed_chunks))
        if args.embed_chunks <= 0:
            result["full_index_s"] = round(result["lexical_s"] + result["embed_s"], 2)
        noop_s, files = _noop(project)
        result["noop_s"] = round(noop_s, 3)
        result["noop_s_per_1000_files"] = round(noop_s * 1000 / files, 3)
        result["watch_edit_to_search_s"] = round(_watch(project, root, args.edits), 3)
        project.close()

        generated = _generate(Path(tmp) / "generated", args.generated)
        gen = open_project(generated, settings)
        gen.update(embed=False)
        gen_noop, gen_files = _noop(gen)
        gen.close()
        result["generated_files"] = gen_files
        result["generated_noop_s_per_1000_files"] = round(gen_noop * 1000 / gen_files, 3)
        result["cli_noop_process_s"] = round(_cli_noop(generated, home), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
