"""Tool calls with a local GGUF: how often the model's reply is a usable call, with and without
the grammar constraint, and what the agent loop costs.

Over 32 prompts (each needing one known tool with known arguments, or none) with real local
tools (read_file and code_search over a temporary project, fetch_url against a local HTTP
server allowed by allow_private_hosts, web_search offered but never run), one reply each:
  parse_rate      replies that are a well-formed call or answer
  call_rate       tool prompts that got a call
  right_tool_rate tool prompts that got a call to the expected tool
  valid_args_rate calls whose arguments pass the tool's schema
  right_args_rate tool prompts answered by the expected tool with the expected arguments
  no_tool_ok_rate prompts needing no tool answered without one
for the grammar path as shipped (llama.cpp JSON-schema grammar; a message that asks for no
file, code or web gets no tools, others only the tools their words point to), the grammar
path with every prompt offered every tool
(``grammar_no_gate``: the prompt alone) and unconstrained (the same prompt, the
reply parsed as JSON afterwards). Then full turns through the orchestrator: steps per turn,
median seconds per step (generating the call + running the tool), and generation tokens/s
with the tools' grammar vs without tools (prompt cached, so it is decode speed).

Usage: python bench/tool_calls.py [--model PATH.gguf] [--prompts N] [--turns 6]
Prints one JSON line. No assertions: it measures and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FILES = {
    "README.md": "# Kettle\nKettle boils water in 42 seconds.\n",
    "app.py": "from config import load_config\n\n\ndef main():\n    cfg = load_config()\n"
    "    print(cfg)\n",
    "config.py": "def load_config(path='kettle.toml'):\n    return {'path': path}\n",
    "utils/strings.py": "def slugify(text):\n    return text.lower().replace(' ', '-')\n",
    "notes.txt": "Remember to descale the kettle every month.\n",
}
PAGE = "<html><head><title>Kettle news</title></head><body><article><h1>Kettles</h1>" + (
    "<p>The new kettle boils water in 42 seconds and switches itself off.</p>" * 5
) + "</article></body></html>"

# (prompt, expected tool or None, expected arguments subset)
PROMPTS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("Read the file README.md", "read_file", {"path": "README.md"}),
    ("Read the file app.py", "read_file", {"path": "app.py"}),
    ("Show me config.py", "read_file", {"path": "config.py"}),
    ("Open utils/strings.py", "read_file", {"path": "utils/strings.py"}),
    ("What is in notes.txt?", "read_file", {"path": "notes.txt"}),
    ("Read lines 1 to 3 of app.py", "read_file", {"path": "app.py"}),
    ("Print the contents of README.md", "read_file", {"path": "README.md"}),
    ("Let me see the file config.py", "read_file", {"path": "config.py"}),
    ("Search the code for load_config", "code_search", {"query": "load_config"}),
    ("Where is slugify defined in the code?", "code_search", {}),
    ("Find the main function in the codebase", "code_search", {}),
    ("Search the project code for print", "code_search", {"query": "print"}),
    ("Which file in the code uses load_config?", "code_search", {}),
    ("Search the code base for kettle.toml", "code_search", {}),
    ("Search the web for the latest Python release.", "web_search", {}),
    ("Look up the httpx documentation online.", "web_search", {}),
    ("Find news about llama.cpp on the web.", "web_search", {}),
    ("Search the internet for SQLite WAL mode.", "web_search", {}),
    ("Web search: how to descale a kettle", "web_search", {}),
    ("Search online for Textual TUI tutorials.", "web_search", {}),
    ("Fetch the page {url}", "fetch_url", {"url": "{url}"}),
    ("Download {url} and summarise it", "fetch_url", {"url": "{url}"}),
    ("What does the web page {url} say?", "fetch_url", {"url": "{url}"}),
    ("Get the URL {url}", "fetch_url", {"url": "{url}"}),
    ("Open this link: {url}", "fetch_url", {"url": "{url}"}),
    ("Read the web page at {url}", "fetch_url", {"url": "{url}"}),
    ("Hello! How are you?", None, {}),
    ("What is 2 + 2?", None, {}),
    ("Say thank you in French.", None, {}),
    ("What does HTTP stand for?", None, {}),
    ("Tell me a short joke.", None, {}),
    ("Good morning!", None, {}),
]
ANSWER_PROMPTS = [
    "Explain what a Python list is in two sentences.",
    "What is a hash map? Answer briefly.",
    "Describe recursion in one paragraph.",
]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def _project(root: Path) -> None:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _registry(settings: Any, root: Path) -> tuple[Any, Any]:
    from assistant.tools.base import ToolContext
    from assistant.tools.registry import Registry, builtin_tools

    registry = Registry(settings)
    for tool in builtin_tools():
        registry.register(tool)
    ctx = ToolContext(settings=settings, project_root=root)
    return registry, ctx


def _index(root: Path, settings: Any) -> bool:
    """Index the project for code_search (lexical only); False when there is no indexer."""
    try:
        from indexer.project import open_project

        project = open_project(root, settings)
        try:
            project.update(embed=False)
        finally:
            project.close()
        return True
    except Exception as exc:  # the indexer is optional for this bench
        print(f"(no code index: {exc})", file=sys.stderr)
        return False


def _one_reply(provider: Any, specs: tuple, prompt: str, grammar: bool, system: str) -> dict:
    from assistant.errors import ProviderError
    from providers import _local_tools
    from providers.base import GenerationOptions, ToolCall

    options = GenerationOptions(max_tokens=96, temperature=0.0, seed=1, tools=specs)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    original = _local_tools.grammar_for
    if not grammar:
        _local_tools.grammar_for = lambda _tools: None  # same prompt, no constraint
    try:
        items = list(provider.stream(messages, options, threading.Event()))
    except ProviderError:
        return {"parsed": False, "call": None}
    finally:
        _local_tools.grammar_for = original
    calls = [i for i in items if isinstance(i, ToolCall)]
    if calls:
        return {"parsed": True, "call": calls[0]}
    # An answer: well-formed under the grammar; unconstrained, main() checks the JSON reader.
    return {"parsed": grammar, "call": None}


def _score(results: list[dict], registry: Any) -> dict[str, float]:
    needs = [r for r in results if r["expected"]]
    nones = [r for r in results if not r["expected"]]
    calls = [r for r in results if r["call"] is not None]

    def valid(r: dict) -> bool:
        tool = registry.get(r["call"].name)
        if tool is None:
            return False
        try:
            tool.args.model_validate(r["call"].arguments)
        except Exception:
            return False
        return True

    def right_args(r: dict) -> bool:
        return (r["call"] is not None and r["call"].name == r["expected"] and valid(r)
                and all(r["call"].arguments.get(k) == v for k, v in r["args"].items()))

    def rate(part: list, whole: list) -> float:
        return round(len(part) / len(whole), 3) if whole else 0.0

    return {
        "parse_rate": rate([r for r in results if r["parsed"]], results),
        "call_rate": rate([r for r in needs if r["call"]], needs),
        "right_tool_rate": rate(
            [r for r in needs if r["call"] and r["call"].name == r["expected"]], needs),
        "valid_args_rate": rate([r for r in calls if valid(r)], calls),
        "right_args_rate": rate([r for r in needs if right_args(r)], needs),
        "no_tool_ok_rate": rate([r for r in nones if r["call"] is None], nones),
    }


def _patch_kind_probe() -> None:
    """Record whether the JSON reader saw an answer object (for the unconstrained score)."""
    from providers import llama_cpp, llama_readers

    original = llama_readers.JsonReader.finish

    def finish(self: Any) -> Any:
        rest, calls = original(self)
        llama_cpp._bench_kind = self.decoder.kind  # type: ignore[attr-defined]
        return rest, calls

    llama_readers.JsonReader.finish = finish  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="A GGUF (default: embedded)")
    parser.add_argument("--prompts", type=int, default=len(PROMPTS))
    parser.add_argument("--turns", type=int, default=6, help="Full agent-loop turns to time")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="fireside-bench-"))
    os.environ["FIRESIDE_HOME"] = str(home)
    root = home / "project"
    _project(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/news.html"

    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store
    from providers import llama_cpp
    from providers.llama_cpp import LlamaCppProvider
    from providers.models import default_model_path

    settings = load_settings(
        temperature=0.0, seed=1, max_tokens=128,
        tools={"allow_private_hosts": ["127.0.0.1"], "offer": "always",
               "permissions": {"fetch_url": "allow"}},  # forced on; no one to ask here
    )
    indexed = _index(root, settings)
    registry, ctx = _registry(settings, root)
    specs = registry.specs(ctx)
    model = args.model or default_model_path()
    provider = LlamaCppProvider(model, context_size=4096, threads=args.threads, probe=False)
    provider.load()
    _patch_kind_probe()
    system = "You are Fireside, a concise assistant for programmers."

    offered = {s.name for s in specs}
    prompts = [p for p in PROMPTS if p[1] is None or p[1] in offered][: args.prompts]
    scores: dict[str, Any] = {}
    from providers import _local_tools

    gate = _local_tools.tools_for
    for mode in ("grammar", "grammar_no_gate", "free"):
        # grammar_no_gate: every prompt gets the tools (the prompt alone must keep a greeting
        # from becoming a call); grammar: as shipped, with the intent gate.
        _local_tools.tools_for = (lambda _m, t: t) if mode == "grammar_no_gate" else gate
        results = []
        for text, expected, want in prompts:
            prompt = text.replace("{url}", url)
            wanted = {k: v.replace("{url}", url) if isinstance(v, str) else v
                      for k, v in want.items()}
            llama_cpp._bench_kind = None  # type: ignore[attr-defined]
            reply = _one_reply(provider, specs, prompt, mode != "free", system)
            if mode == "free" and reply["call"] is None:
                reply["parsed"] = llama_cpp._bench_kind == "answer"  # type: ignore[attr-defined]
            results.append({**reply, "expected": expected, "args": wanted})
        scores[mode] = _score(results, registry)
    _local_tools.tools_for = gate

    # Full turns: steps, time per step, answers with and without tools.
    orch = Orchestrator(settings, open_store(), provider_factory=lambda _s: provider,
                        tools=registry, project_root=root)
    loop_prompts = [p[0].replace("{url}", url) for p in prompts
                    if p[1] in ("read_file", "fetch_url")][: args.turns]
    steps_per_turn, step_seconds, answered = [], [], 0
    for prompt in loop_prompts:
        start = time.perf_counter()
        steps = 0
        for event in orch.run_turn(prompt):
            if event.type == "tool_result":
                steps += 1
                step_seconds.append(time.perf_counter() - start)
                start = time.perf_counter()
            elif event.type == "message_done" and event.content.strip():
                answered += 1
        steps_per_turn.append(steps)

    def speeds(tools: tuple) -> list[float]:
        """Decode speed of one reply per prompt (its prompt already in the KV cache), with the
        tools' grammar applied or not; a call counts as much as an answer."""
        from providers.base import Finish, GenerationOptions

        out = []
        for prompt in ANSWER_PROMPTS:
            messages = [{"role": "system", "content": system},
                        {"role": "user", "content": prompt}]
            options = GenerationOptions(max_tokens=96, temperature=0.0, seed=1, tools=tools)
            provider.warm_up(messages, tools)
            start = time.perf_counter()
            items = list(provider.stream(messages, options, threading.Event()))
            elapsed = time.perf_counter() - start
            finish = next(i for i in items if isinstance(i, Finish))
            if finish.completion_tokens > 1 and elapsed > 0:
                out.append(finish.completion_tokens / elapsed)
        return out

    plain, with_tools = speeds(()), speeds(specs)
    server.shutdown()
    provider.close()
    print(json.dumps({
        "bench": "tool_calls",
        "model": provider.name,
        "tool_mode": provider.tool_mode,
        "prompts": len(prompts),
        "tools": sorted(offered),
        "code_index": indexed,
        "grammar": scores["grammar"],
        "grammar_no_gate": scores["grammar_no_gate"],
        "unconstrained": scores["free"],
        "loop_turns": len(loop_prompts),
        "loop_answered": answered,
        "steps_per_turn_mean": round(statistics.mean(steps_per_turn), 2)
        if steps_per_turn else None,
        "median_step_s": round(statistics.median(step_seconds), 3) if step_seconds else None,
        "gen_tok_s_no_tools": round(statistics.median(plain), 1) if plain else None,
        "gen_tok_s_tools_grammar": round(statistics.median(with_tools), 1)
        if with_tools else None,
    }))


if __name__ == "__main__":
    main()
