"""File localization on real bug reports: does the search put the file the fix edits on top?

Reads the development set (SWE-bench Lite's dev split: ``instances.jsonl`` + ``trees.bundle``,
see its README) from ``--dev`` (default: ``$FIRESIDE_SWE_DEV``, else ``shared/swe-dev`` next to
the repository's folder). Each report's tree is checked out into one folder per repository, in
date order, and indexed with Fireside's own indexer (incremental: the next report of the same
repository re-indexes only what changed, as after a ``git checkout``). The report's text is the
query; Acc@k is the share of reports with a gold file among the first k distinct files.

Rows: ``lexical`` / ``vector`` / ``hybrid`` (chunk search, distinct files in rank order),
``files_lexical`` / ``files_hybrid`` / ``files_vector`` (``--files``), and ``bm25s`` (plain BM25
over whole ``.py`` files, nothing tuned) in the same run. Vector rows need ``--vectors``
(embeds every tree: minutes). Prints one JSON line.

Usage: python bench/localization_bench.py [--dev DIR] [--vectors] [--only REPO] [--limit N]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
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

KS = (1, 3, 5, 10)
CHUNK_DEPTH = 150  # chunks read by a chunk-level search (enough for 10 distinct files)


def _dev_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("FIRESIDE_SWE_DEV")
    return Path(env) if env else REPO.parent / "shared" / "swe-dev"


def _load(dev: Path, only: str | None, limit: int | None) -> list[dict]:
    rows = [json.loads(line) for line in (dev / "instances.jsonl").read_text().splitlines()
            if line.strip()]
    if only:
        rows = [r for r in rows if only in r["repo"]]
    rows.sort(key=lambda r: (r["repo"], r["created_at"]))
    return rows[:limit] if limit else rows


def _git(*args: str, cwd: Path | None = None, out: int | None = None) -> None:
    subprocess.run(["git", *args], check=True, cwd=cwd, stdout=out,
                   stderr=subprocess.DEVNULL)


def _checkout(store: Path, ref: str, folder: Path) -> None:
    """Replace ``folder``'s files by the tree at ``ref``, keeping unchanged files' mtimes."""
    fresh = folder.with_name(folder.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(store), "archive", ref],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(fresh)], input=archive, check=True)
    if not folder.exists():
        fresh.rename(folder)
        return
    new = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    for old in [p for p in folder.rglob("*") if p.is_file()]:
        if old.relative_to(folder) not in new:
            old.unlink()
    for rel in new:
        src, dst = fresh / rel, folder / rel
        if dst.exists() and dst.read_bytes() == src.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        os.utime(dst)  # a checkout writes the file now
    shutil.rmtree(fresh)


def _bm25s_files(tree: Path, query: str) -> list[str]:
    import bm25s

    paths = sorted(p for p in tree.rglob("*.py") if p.is_file())
    texts = [p.read_text(errors="replace") for p in paths]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False),
                    show_progress=False)
    k = min(10, len(paths))
    docs, _ = retriever.retrieve(bm25s.tokenize([query], stopwords="en", show_progress=False),
                                 k=k, show_progress=False)
    return [str(paths[i].relative_to(tree)) for i in docs[0]]


def _rank(found: list[str], gold: list[str]) -> int | None:
    for n, path in enumerate(found[:10], 1):
        if path in gold:
            return n
    return None


def _acc(ranks: list[int | None]) -> dict[str, float]:
    return {f"acc@{k}": round(sum(1 for r in ranks if r and r <= k) / len(ranks), 3)
            for k in KS}


def _modes(vectors: bool) -> list[str]:
    rows = ["lexical", "files_lexical"]
    return rows + (["vector", "hybrid", "files_vector", "files_hybrid"] if vectors else [])


def _search(project, mode: str, query: str) -> list[tuple[str, float]]:  # noqa: ANN001
    """(path, score) of the distinct files found, best first."""
    if mode.startswith("files_"):
        return [(f.path, f.score) for f in project.search_files(query, k=30, mode=mode[6:])]
    best: dict[str, float] = {}
    for hit in project.search(query, k=CHUNK_DEPTH, mode=mode):
        best.setdefault(hit.path, hit.score)
    return list(best.items())


def main() -> None:  # noqa: PLR0915 - one linear measurement script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", help="the swe-dev folder (instances.jsonl, trees.bundle)")
    parser.add_argument("--vectors", action="store_true", help="also vector and hybrid rows")
    parser.add_argument("--only", help="only reports whose repo contains this")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--model", help="[index] embedding_model, e.g. all-MiniLM-L6-v2-int8")
    parser.add_argument("--per-report", action="store_true", help="print each report's ranks")
    parser.add_argument("--dump", help="write each report's ranked files per mode (JSON lines)")
    parser.add_argument("--keep", help="work in this folder and keep it (a rerun reuses its "
                        "trees and cached vectors: minutes instead of the first run's ~20)")
    args = parser.parse_args()
    dev = _dev_dir(args.dev)
    if not (dev / "instances.jsonl").exists():
        sys.exit(f"no development set at {dev} (give --dev or FIRESIDE_SWE_DEV)")
    instances = _load(dev, args.only, args.limit)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fireside-loc-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["FIRESIDE_HOME"] = str(work / "home")
    try:
        store = work / "trees.git"
        if not store.exists():
            _git("clone", "-q", "--bare", str(dev / "trees.bundle"), str(store))
            _git("--git-dir", str(store), "fetch", "-q", str(dev / "trees.bundle"),
                 "refs/swe-dev/*:refs/swe-dev/*")
        from assistant.config import load_settings
        from indexer.project import open_project

        settings = load_settings()
        if args.model:
            settings.index.embedding_model = args.model
        modes = _modes(args.vectors)
        ranks: dict[str, list[int | None]] = {m: [] for m in [*modes, "bm25s"]}
        times: dict[str, list[float]] = {m: [] for m in modes}
        lexical_s: list[float] = []
        embed_s: list[float] = []
        cold_lexical_s: dict[str, float] = {}
        seen_repos: set[str] = set()
        for inst in instances:
            folder = work / "trees" / inst["repo"].replace("/", "__")
            cold = inst["repo"] not in seen_repos and not folder.exists()
            seen_repos.add(inst["repo"])
            _checkout(store, f"refs/swe-dev/{inst['id']}", folder)
            project = open_project(folder, settings)
            try:
                started = time.perf_counter()
                project.update(embed=False)
                lexical_s.append(time.perf_counter() - started)
                if cold:
                    cold_lexical_s[inst["repo"]] = round(lexical_s[-1], 2)
                if args.vectors:
                    started = time.perf_counter()
                    project.embed_pending()
                    embed_s.append(time.perf_counter() - started)
                query, gold = inst["problem_statement"], inst["gold_files"]
                dumped: dict[str, list[list]] = {}
                for mode in modes:
                    started = time.perf_counter()
                    scored = _search(project, mode, query)
                    times[mode].append(time.perf_counter() - started)
                    dumped[mode] = [[path, round(score, 5)] for path, score in scored]
                    ranks[mode].append(_rank([path for path, _ in scored], gold))
                if args.dump:
                    with open(args.dump, "a") as out:
                        out.write(json.dumps({"id": inst["id"], "gold": gold, **dumped}) + "\n")
            finally:
                project.close()
            ranks["bm25s"].append(_rank(_bm25s_files(folder, query), gold))
            if args.per_report:
                print(inst["id"], {m: r[-1] for m, r in ranks.items()}, file=sys.stderr)
        result = {
            "bench": "localization",
            "model": settings.index.embedding_model if args.vectors else None,
            "reports": len(instances),
            **{mode: _acc(r) for mode, r in ranks.items()},
            "index_lexical_s": {"cold_by_repo": cold_lexical_s,
                                "incremental_median": round(statistics.median(
                                    [s for s in lexical_s]), 2)},
            "query_ms_median": {m: round(statistics.median(t) * 1000, 1)
                                for m, t in times.items()},
        }
        if embed_s:
            result["embed_s_total"] = round(sum(embed_s), 1)
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
