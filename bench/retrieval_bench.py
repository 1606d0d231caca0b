"""What code context costs a chat turn: the time to pick chunks for a question, and how
much prompt it adds.

Indexes a copy of an installed library's source (``textual`` by default) into a temporary
``FIRESIDE_HOME`` (lexical only: no embeddings), then asks ``--runs`` questions through
``assistant.retrieval.Retriever`` with the real llama.cpp model's ``count_tokens`` (as a turn
does) and with the character estimate. Prints one JSON line: files and chunks indexed,
median milliseconds per retrieval (model tokenizer / estimate), chunks and tokens added.

Usage: python bench/retrieval_bench.py [--package textual] [--runs 20]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = [
    "how does the app handle key bindings",
    "where is the CSS parsed",
    "how are widgets mounted and removed",
    "what happens when a worker is cancelled",
    "how does scrolling work in a scrollable container",
    "where are markdown documents rendered",
    "how is a screen pushed and popped",
    "how does the timer schedule callbacks",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="textual")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="fireside-bench-"))
    os.environ["FIRESIDE_HOME"] = str(home)
    try:
        source = Path(importlib.import_module(args.package).__file__ or "").parent
        tree = home / "project" / args.package
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__"))

        from assistant.config import load_settings
        from assistant.retrieval import Retriever, estimate_tokens, token_counter
        from indexer.project import open_project
        from providers.models import local_provider

        settings = load_settings()
        project = open_project(tree.parent, settings)
        summary = project.update(embed=False)
        provider = local_provider(settings)
        provider.load()
        counter = token_counter(provider.count_tokens)
        retriever = Retriever(project, settings.index, mode="lexical")
        budget = settings.index.context_tokens

        def timed(count) -> tuple[list[float], list[int], list[int]]:
            ms, chunks, tokens = [], [], []
            for i in range(args.runs):
                question = QUESTIONS[i % len(QUESTIONS)]
                start = time.perf_counter()
                got = retriever.retrieve(question, budget, count)
                ms.append((time.perf_counter() - start) * 1000)
                chunks.append(len(got.chunks))
                tokens.append(counter(got.block) if got.chunks else 0)
            return ms, chunks, tokens

        model_ms, chunks, tokens = timed(counter)
        estimate_ms, _, _ = timed(estimate_tokens)
        project.close()
        provider.close()
        print(
            json.dumps(
                {
                    "bench": "retrieval",
                    "package": args.package,
                    "files": summary.files,
                    "chunks": summary.chunks,
                    "budget_tokens": budget,
                    "runs": args.runs,
                    "retrieve_ms_model_tokenizer": round(statistics.median(model_ms), 2),
                    "retrieve_ms_estimate": round(statistics.median(estimate_ms), 2),
                    "chunks_added": statistics.median(chunks),
                    "tokens_added": statistics.median(tokens),
                }
            )
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
