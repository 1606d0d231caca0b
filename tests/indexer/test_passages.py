"""A long query embedded as a few passages, and the score fusion of file rankings."""

from __future__ import annotations

from indexer.hybrid import fuse_scores
from indexer.passages import OPENING_BLOCKS, WHOLE_CHARS, query_passages

REPORT = """Schema.load crashes on nested data

When I load a nested payload with a List of DateTime fields, the schema raises
instead of returning the parsed values.

It worked in 2.x. The inner field never gets its parent bound. """ + "More detail. " * 45 + """

```python
from marshmallow import Schema, fields
class S(Schema):
    times = fields.List(fields.DateTime())
S().load({"times": ["2020-01-01"]})
```

```
Traceback (most recent call last):
  File "x.py", line 5, in <module>
AttributeError: 'List' object has no attribute 'opts'
```

""" + "Versions and other notes. " * 40 + "\n\nA closing paragraph about later-marker things."


def test_a_one_line_query_is_one_passage() -> None:
    assert query_passages("where is the config loaded") == ["where is the config loaded"]
    assert query_passages("  hello \n") == ["hello"]
    assert query_passages("   ") == []


def test_a_report_is_whole_title_and_opening_blocks() -> None:
    passages = query_passages(REPORT)
    assert passages[0] == REPORT.strip()
    assert passages[1] == "Schema.load crashes on nested data"
    assert len(passages) == 2 + OPENING_BLOCKS
    # short blocks merge up to BLOCK_WORDS words: the title and the first paragraph
    assert passages[2].startswith("Schema.load") and "nested payload" in passages[2]
    assert passages[3].startswith("It worked in 2.x")
    assert "Traceback" not in passages[3]  # the block that overflowed starts the next one
    assert not any("later-marker" in p for p in passages[1:])  # later blocks are left out
    assert len(set(passages)) == len(passages) and all(p.strip() for p in passages)


def test_passages_are_bounded_for_a_huge_paste() -> None:
    huge = "Title line\n\n" + "\n\n".join("word " * 50 for _ in range(2000))
    passages = query_passages(huge)
    assert len(passages) <= 2 + OPENING_BLOCKS
    assert all(len(p) <= WHOLE_CHARS for p in passages)


def test_score_fusion_keeps_a_clear_lexical_winner_that_rank_fusion_loses() -> None:
    # BM25 puts "fix.py" far ahead; the vector list misses it and agrees on two mediocre files
    lexical = {"fix.py": 300.0, "a.py": 60.0, "b.py": 55.0}
    lexical.update({f"l{n}.py": 50.0 - n for n in range(12)})
    vector = {f"v{n}.py": 0.6 - n / 100 for n in range(12)}
    vector.update({"a.py": 0.45, "b.py": 0.44, "fix.py": 0.40})  # its own chunks' similarity
    ranks = [{key: n for n, key in enumerate(sorted(side, key=lambda k: -side[k]), 1)}
             for side in (lexical, vector)]
    rrf = {key: sum(1 / (60 + r[key]) for r in ranks if key in r) for key in lexical | vector}
    by_rank = sorted(rrf, key=lambda key: -rrf[key])  # reciprocal-rank fusion, k=60
    by_score = [key for key, _ in fuse_scores(lexical, vector, 0.5)]
    assert by_score[0] == "fix.py"
    assert by_rank[0] != "fix.py"  # what rank fusion did


def test_score_fusion_edges() -> None:
    assert fuse_scores({}, {}, 0.5) == []
    fused = dict(fuse_scores({"a": 2.0, "b": 1.0}, {"b": 0.5, "c": -0.2}, 0.5))
    assert fused == {"a": 0.5, "b": 0.25 + 0.5, "c": 0.0}  # negatives count as no evidence
    only_vector = fuse_scores({}, {"x": 0.2, "y": 0.4}, 0.5)
    assert [key for key, _ in only_vector] == ["y", "x"]
