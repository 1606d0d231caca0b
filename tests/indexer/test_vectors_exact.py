"""The exact scan of the SQLite vector cache (``indexer.vectors_exact``) answers like Chroma,
follows index changes, and lets a new process search without loading Chroma at all (real
MiniLM, real Chroma folder, a real ``fireside search`` process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import vectors_exact
from indexer.project import ProjectIndex
from tests.indexer.conftest import write
from tests.indexer.corpus import QUERIES, write_corpus

pytestmark = pytest.mark.slow
Opener = Callable[..., ProjectIndex]


def test_the_scan_finds_what_chroma_finds(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    lex, model = project.lexical(), project.embedding_model
    for query, _want in QUERIES:
        vector = project.embedder().encode([query])[0]
        chroma = project.vectors().query(vector, 5)
        exact = vectors_exact.nearest(lex, model, vector, 5)
        assert [i for i, _ in exact] == [i for i, _ in chroma], query
        for (_, mine), (_, theirs) in zip(exact, chroma, strict=True):
            assert abs(mine - theirs) < 1e-4


def test_the_scan_follows_changes_to_the_index(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    lex, model = project.lexical(), project.embedding_model
    query = "convert a temperature from celsius to fahrenheit"
    vector = project.embedder().encode([query])[0]
    before = vectors_exact.nearest(lex, model, vector, 50)
    write(tree, "thermo.py", "def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32\n")
    project.update()
    after = vectors_exact.nearest(lex, model, vector, 50)
    added = {i for i, _ in after} - {i for i, _ in before}
    assert added and lex.chunks_by_id(list(added))[after[0][0]].path == "thermo.py"
    (tree / "thermo.py").unlink()
    project.update()
    assert [i for i, _ in vectors_exact.nearest(lex, model, vector, 50)] == [
        i for i, _ in before]


def test_a_new_search_process_does_not_load_chroma(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    query, want = QUERIES[0]
    in_process = [h.path for h in project.search(query, k=3, mode="hybrid")]
    project.close()
    script = (
        "import json, sys\n"
        "from assistant.config import load_settings\n"
        "from indexer.project import open_project\n"
        f"p = open_project(__import__('pathlib').Path({str(tree)!r}), load_settings())\n"
        f"hits = p.search({query!r}, k=3, mode='hybrid')\n"
        "print(json.dumps({'paths': [h.path for h in hits], 'note': p.last_note,\n"
        "                  'chroma': 'chromadb' in sys.modules}))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(repo)}, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"paths": in_process, "note": None, "chroma": False}
    assert in_process[0] == want
