"""Embeddings (the real MiniLM-L6-v2) in a real embedded Chroma folder: hybrid ranking,
re-use of cached vectors, deletions, model changes, corrupt or deleted vector folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from indexer.embed import packaged_model_folder
from indexer.project import ProjectIndex
from tests.indexer.conftest import write
from tests.indexer.corpus import QUERIES, write_corpus

pytestmark = pytest.mark.slow
Opener = Callable[..., ProjectIndex]


def top1(project: ProjectIndex, mode: str) -> int:
    return sum(
        1 for query, want in QUERIES
        if [h.path for h in project.search(query, k=3, mode=mode)][:1] == [want]
    )


def encoded(project: ProjectIndex) -> int:
    """Texts the model encoded for this project (the embedder boundary)."""
    return project._embedder.encoded if project._embedder is not None else 0


def test_hybrid_beats_either_list_alone(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    summary = project.update()
    assert summary.pending == 0 and summary.embedded == summary.chunks == len(
        project.lexical().file_states()
    )
    lexical, vector, hybrid = (top1(project, mode) for mode in ("lexical", "vector", "hybrid"))
    assert hybrid > lexical and hybrid > vector, (lexical, vector, hybrid)
    assert hybrid == len(QUERIES)


def test_rename_branch_switch_and_noop_reuse_vectors(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    baseline = encoded(project)
    assert baseline >= 8
    assert project.update().changed == 0 and encoded(project) == baseline  # no-op
    (tree / "text/slug.py").rename(tree / "text/urls.py")
    summary = project.update()
    assert (summary.added, summary.deleted, summary.pending) == (1, 1, 0)
    assert encoded(project) == baseline  # the renamed file's vectors came from the cache
    before = (tree / "mail/welcome.py").read_text()
    write(tree, "mail/welcome.py", before.replace("Welcome aboard", "Hello and welcome"))
    project.update()
    edited = encoded(project)
    assert edited == baseline + 1  # only the changed chunk
    write(tree, "mail/welcome.py", before)  # switch back: cached again
    project.update()
    assert encoded(project) == edited
    hits = project.search("turn a headline into a url fragment", mode="vector", k=1)
    assert hits[0].path == "text/urls.py"
    store = project.vectors()
    assert store.count() == project.status().chunks  # the old path's vectors were deleted


def test_deleted_file_vectors_go_away(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    count = project.vectors().count()
    (tree / "net/retry.py").unlink()
    project.update()
    assert project.vectors().count() == count - 1
    hits = project.search("sleep exponentially longer between tries", mode="vector", k=8)
    assert "net/retry.py" not in [h.path for h in hits]


def test_lexical_first_then_background_embedding(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    summary = project.update(embed=False)
    assert summary.embedded == 0 and summary.pending == summary.chunks
    hits = project.search("take money from a buyer", mode="hybrid")
    assert project.last_note is not None and "no embeddings yet" in project.last_note
    assert isinstance(hits, list)  # lexical answers while vectors are missing
    seen = []
    assert project.embed_pending(progress=seen.append) == summary.chunks
    assert seen[-1].pending == 0 and seen[-1].phase == "embed"
    assert project.search("take money from a buyer", mode="hybrid")[0].path == "billing/charge.py"
    assert project.last_note is None


def test_changed_model_means_a_new_collection(
    tree: Path, open_index: Opener, settings: Settings
) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    first = project.vectors().name
    project.close()
    folder = packaged_model_folder()
    assert folder is not None
    other = settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedding_model": str(folder)})}
    )
    again = open_index(tree, other)
    assert again.embedding_model != "all-MiniLM-L6-v2"
    summary = again.update()
    assert summary.pending == 0 and encoded(again) == summary.chunks  # new model, new vectors
    second = again.vectors().name
    assert second != first
    client = again.vectors()._client
    names = {c.name for c in client.list_collections()}
    assert {first, second} <= names
    assert client.get_collection(first).count() == client.get_collection(second).count()


def test_corrupt_vector_folder_is_rebuilt_with_a_notice(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    chroma = project.dir / "chroma"
    project.close()
    (chroma / "chroma.sqlite3").write_bytes(b"this is not a database" * 300)
    project = open_index(tree)
    hits = project.search("send_welcome_email", mode="hybrid")
    assert [h.path for h in hits][:1] == ["mail/welcome.py"]  # answered, no crash
    assert any("rebuilt" in n for n in project.notices)
    queries = encoded(project)  # the search encoded its query
    summary = project.update()
    assert summary.pending == 0 and encoded(project) == queries  # re-added from the cache
    assert project.search("message a newly registered member", mode="vector")[0].path == (
        "mail/welcome.py"
    )


def test_vector_folder_deleted_between_runs(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    chroma = project.dir / "chroma"
    project.close()
    shutil.rmtree(chroma)
    project = open_index(tree)
    summary = project.update()
    assert summary.changed == 0 and summary.pending == 0
    assert project.vectors().count() == summary.chunks and encoded(project) == 0


def test_model_that_cannot_load_degrades_to_lexical(
    tree: Path, open_index: Opener, settings: Settings
) -> None:
    write_corpus(tree)
    broken = settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedding_model": "no/such-model"})}
    )
    project = open_index(tree, broken)
    summary = project.update()
    assert summary.pending == summary.chunks and summary.embedded == 0
    assert any("embeddings skipped" in n for n in project.notices)
    hits = project.search("E4417", mode="vector")
    assert [h.path for h in hits][:1] == ["net/retry.py"]
    assert project.last_note and "lexical" in project.last_note


def test_vector_folder_deleted_under_the_running_app(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    before = encoded(project)
    shutil.rmtree(project.dir / "chroma")
    write(tree, "util/answer.py", "def brand_new_helper():\n    return 42\n")
    summary = project.update()
    assert any("rebuilt" in n for n in project.notices)
    assert summary.pending == 0 and project.vectors().count() == summary.chunks
    assert encoded(project) == before + 1  # only the new chunk; the rest from the cache


def test_search_while_the_model_is_busy_answers_lexically(
    tree: Path, open_index: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.embed as embed
    import indexer.search as search

    write_corpus(tree)
    project = open_index(tree)
    project.update()
    monkeypatch.setattr(search, "QUERY_WAIT_S", 0.2)
    with embed._ENCODE_LOCK:  # as a background batch holds the shared model
        hits = project.search("send_welcome_email", mode="hybrid")
    assert [h.path for h in hits][:1] == ["mail/welcome.py"]
    assert project.last_note and "busy" in project.last_note and "lexical" in project.last_note
    project.search("send_welcome_email", mode="hybrid")
    assert project.last_note is None  # free again: hybrid


def test_file_hybrid_ranks_each_querys_file_first(tree: Path, open_index: Opener) -> None:
    write_corpus(tree)
    project = open_index(tree)
    project.update()
    for query, want in QUERIES:
        found = project.search_files(query, k=3, mode="hybrid")
        assert found[0].path == want, (query, [f.path for f in found])
        assert found[0].hits and found[0].hits[0].path == want


def test_lexical_candidates_outside_the_vector_list_get_their_own_similarity(
    tree: Path, open_index: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer import search

    write_corpus(tree)
    project = open_index(tree)
    project.update()
    query = "OrderedDict move_to_end capacity: return the title, amount or radius"
    vector = search.query_vector(project, query)
    # the similarities read from the index's vector cache are the vector store's
    store_scores = {(h.path, h.start_line): h.score
                    for h in project.search(query, k=20, mode="vector")}
    ids = [row.id for row in project.lexical().search(query, 50)]
    own = search._similarities(project, vector, ids=ids)
    assert own and {path for _, path, _ in own} <= {path for path, _ in store_scores}
    for chunk_id, _path, score in own:
        row = project.lexical().chunks_by_id([chunk_id])[chunk_id]
        assert abs(store_scores[(row.path, row.start_line)] - score) < 1e-4
    # a vector list of one chunk scores files as the full list (every chunk here) does: each
    # lexical candidate gets its vector score from its own vectors, not 0 for missing the list
    full = {f.path: f.score for f in project.search_files(query, k=20, mode="hybrid")}
    monkeypatch.setattr(search, "VECTOR_DEPTH", 1)
    short = {f.path: f.score for f in project.search_files(query, k=20, mode="hybrid")}
    assert len(short) >= 3 and next(iter(full)) == next(iter(short)) == "storage/cache.py"
    assert all(abs(full[path] - score) < 1e-5 for path, score in short.items()), (full, short)


def test_git_checkout_reembeds_only_the_changed_chunks(tree: Path, open_index: Opener) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tree,
                       check=True, capture_output=True)

    write_corpus(tree)
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "one")
    git("checkout", "-qb", "other")
    shapes = (tree / "geometry/shapes.py").read_text()
    write(tree, "geometry/shapes.py",
          shapes.replace("2 * (width + height)", "(width + height) * 2"))
    write(tree, "net/new.py", "def ping(host):\n    return host\n")
    git("add", ".")
    git("commit", "-qm", "two")
    project = open_index(tree)
    project.update()
    baseline = encoded(project)
    git("checkout", "-q", "main")
    summary = project.update()
    assert (summary.deleted, summary.pending) == (1, 0)  # net/new.py went away
    first_switch = encoded(project)
    assert first_switch == baseline + 1  # rectangle_perimeter's chunk, nothing else
    git("checkout", "-q", "other")
    project.update()
    assert encoded(project) == first_switch  # both versions are cached now
    assert project.search("ping host", k=1, mode="vector")[0].path == "net/new.py"
