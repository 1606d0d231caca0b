"""Resuming a long chat after a restart: time to first token with the saved model state
versus without it (same run, same chat, same question), with the embedded SmolLM2.

A chat of about 3,000 prompt tokens is written to a fresh data folder and answered once (that
turn saves the session's state, as every local turn does). Then, ``--runs`` times each,
alternating: a new model instance (as after a restart: nothing in its KV cache but the system
prompt its warm-up evaluates) asks a new question in a copy of that chat, with ``[state]``
enabled or disabled. Prints one JSON line: median TTFT of each, their ratio (target >= 10),
the state file's size, and the time to save the state per turn (median).

Usage: python bench/resume_bench.py [--runs 5] [--tokens 3000] [--threads N]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTION = "Summarise in one sentence what we discussed."
TOPICS = ["lists", "dicts", "sets", "tuples", "generators", "decorators", "context managers",
          "classes", "dataclasses", "exceptions", "modules", "typing", "asyncio", "iterators",
          "closures", "slots", "descriptors", "metaclasses", "f-strings", "pathlib"]


def _answer(topic: str) -> str:
    return (
        f"Python {topic} are a core part of the language. " * 3
        + f"Here is how {topic} work in practice: you create them, pass them around, and "
        "combine them with the rest of the standard library. Typical mistakes are mutating "
        "shared state, forgetting edge cases, and writing clever code that is hard to read. "
        "Prefer clear names, small functions, and tests that show the behaviour you expect."
    )


def _orchestrator(threads: int | None, state: bool, max_tokens: int):  # noqa: ANN202
    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store
    from providers.llama_cpp import LlamaCppProvider
    from providers.models import default_model_path

    provider = LlamaCppProvider(default_model_path(), threads=threads, probe=False)
    settings = load_settings(
        temperature=0.0, seed=3, max_tokens=max_tokens, tools={"enabled": False},
        state={"enabled": state}, index={"context_tokens": 0},
    )
    return Orchestrator(settings, open_store(), provider_factory=lambda _s: provider), provider


def build_chat(target: int, threads: int | None) -> tuple[str, int, dict[str, float]]:
    """A session of about ``target`` prompt tokens, answered once (saving its state)."""
    orch, provider = _orchestrator(threads, True, 8)
    orch.load_model()
    store = orch.store
    session = store.create_session("long chat").id
    system = [{"role": "system", "content": orch.system_prompt()}]
    history: list[dict[str, str]] = []
    for i in range(1000):
        topic = TOPICS[i % len(TOPICS)]
        turn = [{"role": "user", "content": f"Tell me about Python {topic} (part {i + 1})."},
                {"role": "assistant", "content": _answer(topic)}]
        if provider.count_tokens(system + history + turn) > target - 40:
            break
        history += turn
        for message in turn:
            store.add_message(session, message["role"], message["content"])
    list(orch.run_turn("Thanks. What is a list?", session_id=session))
    states = orch.session_states
    states.wait()
    saved = dict(states.last_save)
    orch.close()
    store.close()
    return session, provider.count_tokens(system + history), saved


def resume_once(session: str, threads: int | None, state: bool) -> tuple[float, float | None]:
    """TTFT (s) of a new question in ``session`` with a freshly loaded model; and the time
    its state save took (s) when state is on."""
    orch, _provider = _orchestrator(threads, state, 16)
    orch.warm_up()  # what the TUI does while the user types
    start = time.perf_counter()
    first = None
    for event in orch.run_turn(QUESTION, session_id=session):
        if event.type == "token" and first is None:
            first = time.perf_counter()
    save = None
    if state:
        orch.session_states.wait()
        save = orch.session_states.last_save.get("seconds")
    orch.close()
    orch.store.close()
    assert first is not None, "no answer"
    return first - start, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fireside-resume-"))
    try:
        os.environ["FIRESIDE_HOME"] = str(base / "origin")
        session, chat_tokens, first_save = build_chat(args.tokens, args.threads)
        from assistant.session_state import usage

        state_bytes = usage().bytes
        with_state: list[float] = []
        without: list[float] = []
        saves: list[float] = [first_save["seconds"]]
        for run in range(args.runs):
            for state in (True, False):
                home = base / f"run-{run}-{state}"
                shutil.copytree(base / "origin", home)
                os.environ["FIRESIDE_HOME"] = str(home)
                ttft, save = resume_once(session, args.threads, state)
                (with_state if state else without).append(ttft)
                if save is not None:
                    saves.append(save)
                shutil.rmtree(home)
        med_with = statistics.median(with_state)
        med_without = statistics.median(without)
        print(json.dumps({
            "bench": "resume",
            "chat_prompt_tokens": chat_tokens,
            "runs": args.runs,
            "ttft_ms_with_state": round(med_with * 1000, 1),
            "ttft_ms_without_state": round(med_without * 1000, 1),
            "speedup": round(med_without / med_with, 1),
            "state_file_mb": round(state_bytes / 1e6, 1),
            "state_tokens": int(first_save.get("tokens", 0)),
            "save_ms_per_turn": round(statistics.median(saves) * 1000, 1),
            "ttft_ms_with_state_all": [round(t * 1000, 1) for t in with_state],
            "ttft_ms_without_state_all": [round(t * 1000, 1) for t in without],
        }))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
