"""Fireside's chat overhead against bare llama-cpp-python, on the same GGUF and sampling.

Prints one JSON line:
  bare / fireside tokens/s and their ratio (target >= 0.95),
  bare / fireside time to first token and the overhead (target < 50 ms),
  the same for the first question after start-up (Fireside warms the model up while the
  user types), time to first token inside the TUI while it renders the stream,
  and `fireside` cold start to first paint of the TUI in a pseudo-terminal (target < 1 s).

Usage: python bench/chat_overhead.py [--runs 5] [--max-tokens 128] [--threads N] [--no-tui]
No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Explain what a Python list comprehension is, with two short examples."


def _stats(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Median TTFT (ms) and median tokens/s from (ttft_s, tok_per_s) pairs."""
    return (
        round(statistics.median(s[0] for s in samples) * 1000, 2),
        round(statistics.median(s[1] for s in samples), 2),
    )


def _rate(count: int, first: float, end: float) -> float:
    return (count - 1) / (end - first) if count > 1 and end > first else 0.0


def bare_run(llm, messages, max_tokens: int, seed: int) -> tuple[float, float, int]:
    """One streamed answer straight through llama-cpp-python's chat completion."""
    llm.reset()  # no KV reuse: both sides evaluate the whole prompt
    start = time.perf_counter()
    first = None
    count = 0
    for chunk in llm.create_chat_completion(
        messages=messages,
        max_tokens=max_tokens,
        temperature=0.0,
        top_p=0.9,
        repeat_penalty=1.1,
        seed=seed,
        stream=True,
    ):
        if chunk["choices"][0]["delta"].get("content"):
            count += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - start, _rate(count, first, end), count


def fireside_run(orch, provider, max_tokens: int) -> tuple[float, float, int]:
    """The same answer through Fireside's orchestrator (store, history, events, persistence)."""
    provider._llm.reset()
    start = time.perf_counter()
    first = None
    count = 0
    # Like for like with the bare run: no tools offered (offering them changes the prompt and
    # constrains decoding with a grammar; bench/tool_calls.py measures that cost).
    for event in orch.run_turn(PROMPT, tools=False):
        if event.type == "token":
            count += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - start, _rate(count, first, end), count


def first_question(model: Path, threads: int | None, max_tokens: int, seed: int) -> dict:
    """TTFT of the first question after start-up: bare (load, ask) vs Fireside (load +
    warm-up while the user types, ask)."""
    import llama_cpp

    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store
    from providers.llama_cpp import LlamaCppProvider

    system = Orchestrator(load_settings(), open_store()).system_prompt()
    messages = [{"role": "system", "content": system}, {"role": "user", "content": PROMPT}]
    from providers.llama_cpp import thread_counts

    decode_threads, batch_threads = thread_counts(threads)
    llm = llama_cpp.Llama(
        str(model),
        n_ctx=4096,
        n_threads=decode_threads,
        n_threads_batch=batch_threads,
        verbose=False,
    )
    bare_ttft, _, _ = bare_run(llm, messages, 8, seed)
    llm.close()

    provider = LlamaCppProvider(model, context_size=4096, threads=threads, probe=False)
    settings = load_settings(
        temperature=0.0, seed=seed, max_tokens=8, threads=threads, tools={"enabled": False}
    )
    orch = Orchestrator(settings, open_store(), provider_factory=lambda _s: provider)
    orch.warm_up()  # what the TUI does right after its first paint
    start = time.perf_counter()
    ttft = None
    for event in orch.run_turn(PROMPT, tools=False):
        if event.type == "token" and ttft is None:
            ttft = time.perf_counter() - start
    provider.close()
    return {
        "first_question_bare_ttft_ms": round(bare_ttft * 1000, 2),
        "first_question_fireside_ttft_ms": round(ttft * 1000, 2),
    }


def tui_first_paint(timeout: float = 20.0) -> float | None:
    """Seconds from spawning `fireside` in a pseudo-terminal to its first full frame."""
    import pty
    import select
    import subprocess

    exe = Path(sys.executable).with_name("fireside")
    if not exe.exists():
        return None
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="35")
    start = time.perf_counter()
    proc = subprocess.Popen([str(exe)], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    painted = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
                # The footer's key hints are drawn as part of the first full frame.
                if b"Quit" in seen or b"quit" in seen:
                    painted = time.perf_counter() - start
                    break
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(master)
    return painted


def tui_turn(
    model: Path, threads: int | None, seed: int, tools: bool = False
) -> tuple[float | None, float | None]:
    """TTFT inside the TUI (headless): Enter pressed → first token rendered on screen; and
    the answer's tokens/s while the UI renders it (both share the 2 cores)."""
    import asyncio

    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store
    from providers.llama_cpp import LlamaCppProvider

    try:
        from tui.app import FiresideApp
    except ImportError:
        return None, None
    provider = LlamaCppProvider(model, context_size=4096, threads=threads, probe=False)
    settings = load_settings(
        temperature=0.0, seed=seed, max_tokens=128, threads=threads,
        tools={"enabled": tools},
    )
    orch = Orchestrator(settings, open_store(), provider_factory=lambda _s: provider)
    app = FiresideApp(orch, warm_up=True, index=False)
    result: list[float] = []

    async def drive() -> None:
        async with app.run_test(size=(120, 35)) as pilot:
            deadline = time.perf_counter() + 60
            while not provider.loaded and time.perf_counter() < deadline:
                await pilot.pause(0.05)
            await pilot.pause(0.5)  # warm-up evaluation of the system prompt
            for ch in PROMPT:
                await pilot.press(ch if ch != " " else "space")

            async def watch() -> None:
                # Polls the screen from the app's own loop (pilot.press returns only once
                # the app is idle, i.e. after the answer).
                while time.perf_counter() - start < 30:
                    if _assistant_text(app):
                        result.append(time.perf_counter() - start)
                        return
                    await asyncio.sleep(0.002)

            watcher = asyncio.create_task(watch())
            start = time.perf_counter()
            await pilot.press("enter")
            await watcher
            while app.workers and any(w.is_running for w in app.workers):
                await pilot.pause(0.05)

    asyncio.run(drive())
    provider.close()
    answers = [m for m in orch.store.messages(orch.store.list_sessions()[0].id)
               if m.role == "assistant"]
    rate = answers[-1].tokens_per_s if answers else None
    return (result[0] if result else None), rate


def _assistant_text(app) -> str:
    """The text shown in the newest assistant message (via the TUI's MessageList)."""
    try:
        from tui.widgets import MessageView
    except ImportError:
        return ""
    views = [v for v in app.screen.query(MessageView) if getattr(v, "role", "") == "assistant"]
    return views[-1].text if views else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument(
        "--threads", type=int, default=None, help="llama.cpp threads (default: Fireside's)"
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--no-tui", action="store_true", help="skip the TUI measurements")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="fireside-bench-")
    os.environ["FIRESIDE_HOME"] = home

    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store
    from providers.llama_cpp import LlamaCppProvider, thread_counts
    from providers.models import default_model_path

    model = args.model or default_model_path()
    out: dict = {
        "bench": "chat_overhead",
        "model": model.name,
        "threads": "decode {}, prompt {}".format(*thread_counts(args.threads)),
        "max_tokens": args.max_tokens,
        "runs": args.runs,
    }
    out.update(first_question(model, args.threads, args.max_tokens, args.seed))

    provider = LlamaCppProvider(model, context_size=4096, threads=args.threads, probe=False)
    settings = load_settings(
        temperature=0.0, top_p=0.9, repeat_penalty=1.1, seed=args.seed,
        max_tokens=args.max_tokens, threads=args.threads, tools={"enabled": False},
    )
    store = open_store()
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    provider.load()
    messages = [
        {"role": "system", "content": orch.system_prompt()},
        {"role": "user", "content": PROMPT},
    ]
    llm = provider._llm
    bare_run(llm, messages, args.max_tokens, args.seed)  # warm caches
    bare, fire = [], []
    tokens = {"bare": 0, "fireside": 0}
    for _ in range(args.runs):  # interleave so drift hits both alike
        ttft, rate, n = bare_run(llm, messages, args.max_tokens, args.seed)
        bare.append((ttft, rate))
        tokens["bare"] = n
        ttft, rate, n = fireside_run(orch, provider, args.max_tokens)
        fire.append((ttft, rate))
        tokens["fireside"] = n
    bare_ttft, bare_rate = _stats(bare)
    fire_ttft, fire_rate = _stats(fire)
    out.update(
        {
            "tokens": tokens,
            "bare_tokens_per_s": bare_rate,
            "fireside_tokens_per_s": fire_rate,
            "tokens_per_s_ratio": round(fire_rate / bare_rate, 3) if bare_rate else None,
            "bare_ttft_ms": bare_ttft,
            "fireside_ttft_ms": fire_ttft,
            "ttft_overhead_ms": round(fire_ttft - bare_ttft, 2),
        }
    )
    provider.close()
    if not args.no_tui:
        ttft, rate = tui_turn(model, args.threads, args.seed)
        out["tui_ttft_ms"] = round(ttft * 1000, 2) if ttft is not None else None
        out["tui_tokens_per_s"] = rate
        # The default: tools offered (the answer comes through the JSON grammar).
        ttft, rate = tui_turn(model, args.threads, args.seed, tools=True)
        out["tui_tools_on_ttft_ms"] = round(ttft * 1000, 2) if ttft is not None else None
        out["tui_tools_on_tokens_per_s"] = rate
        paint = tui_first_paint()
        out["tui_first_paint_ms"] = round(paint * 1000, 1) if paint is not None else None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
