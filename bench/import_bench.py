"""Import and search speed: a generated 2,000-conversation ChatGPT export (zip) imported
into a fresh store (target < 10 s), then FTS5 searches over 100,000 messages (target
< 100 ms per query, median of several words). Prints one JSON line.

    python bench/import_bench.py [--conversations 2000] [--messages 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvk"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)}
    return sorted(words)


VOCAB = _vocabulary(random.Random(1))
# Zipf-like word frequencies, as in real text: word k is used about 1/k as often as the first.
_WEIGHTS = [1 / (k + 1) for k in range(len(VOCAB))]


def _sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choices(VOCAB, weights=_WEIGHTS, k=n)) + "."


def _export(folder: Path, conversations: int, rng: random.Random) -> Path:
    from tests.support.exports import chatgpt_conversation, write_zip

    chats = []
    for i in range(conversations):
        exchanges = [(_sentence(rng, 10), _sentence(rng, 40)) for _ in range(rng.randint(2, 6))]
        chats.append(chatgpt_conversation(f"conv-{i:05d}", _sentence(rng, 4), exchanges,
                                          start=1_700_000_000 + i * 3600, extras=i % 4 == 0))
    return write_zip(folder / "chatgpt-export.zip", {"conversations.json": chats})


def _fill(store, messages: int, rng: random.Random) -> None:  # noqa: ANN001
    from assistant.store import ImportedMessage, ImportedSession, import_sessions

    have = sum(s.message_count for s in store.list_sessions())
    sessions, i = [], 0
    while have < messages:
        batch = [ImportedMessage("user" if k % 2 == 0 else "assistant", _sentence(rng, 30),
                                 "2024-01-01T00:00:00.000+00:00") for k in range(20)]
        sessions.append(ImportedSession("bench", f"fill-{i}", f"Filler {i}",
                                        "2024-01-01T00:00:00.000+00:00",
                                        "2024-01-01T00:00:00.000+00:00", batch))
        have += len(batch)
        i += 1
    import_sessions(store, sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["FIRESIDE_HOME"] = str(folder / "home")
        from assistant.importers import import_file
        from assistant.store import open_store, search_sessions

        zip_path = _export(folder, args.conversations, rng)
        zip_mb = round(zip_path.stat().st_size / 1e6, 1)
        store = open_store()
        started = time.perf_counter()
        summary = import_file(store, zip_path)
        import_s = time.perf_counter() - started
        _fill(store, args.messages, rng)
        total = sum(s.message_count for s in store.list_sessions())
        timings = []
        queries = [VOCAB[k] for k in (5, 20, 60, 150, 400, 900, 2000)]
        queries += [f"{VOCAB[30]} {VOCAB[300]}", VOCAB[80][:3] + "*"]
        for word in queries * 3:
            started = time.perf_counter()
            search_sessions(store, word, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
        store.close()
        common = []
        store = open_store()
        for _ in range(3):  # the most frequent word: in about a third of all messages
            started = time.perf_counter()
            search_sessions(store, VOCAB[0], limit=20)
            common.append((time.perf_counter() - started) * 1000)
        store.close()
    print(json.dumps({
        "bench": "import_search",
        "conversations": summary.sessions, "imported_messages": summary.messages,
        "zip_mb": zip_mb,
        "import_s": round(import_s, 2), "import_target_s": 10,
        "searched_messages": total,
        "search_median_ms": round(statistics.median(timings), 1),
        "search_max_ms": round(max(timings), 1), "search_target_ms": 100,
        "most_common_word_ms": round(statistics.median(common), 1),
    }))


if __name__ == "__main__":
    main()
