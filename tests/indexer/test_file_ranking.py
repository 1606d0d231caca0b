"""Retrieval that finds the right file: query terms from bug reports, identifier splitting,
stop words that are identifiers, per-file priors, files as the unit, and the migration of an
index from before the qualname/words columns. Real SQLite indexes over small real trees."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from indexer import query_terms
from indexer.files import aggregate, file_kind, prior
from indexer.project import ProjectIndex
from tests.indexer.conftest import write

Opener = Callable[[Path], ProjectIndex]

REPORT = """Schema.load crashes on nested data

When I load a nested payload I get:

```
Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/shop/checkout.py", line 40, in apply_discount
    total = compute_total(cart)
ZeroDivisionError: division by zero
```

It happens for every basket with a coupon. Please help, the docs say coupons work.
"""


def shop(root: Path) -> None:
    write(root, "shop/checkout.py",
          "def apply_discount(cart, coupon):\n    total = compute_total(cart)\n"
          "    return total / coupon.count\n")
    write(root, "shop/pricing.py", "def compute_total(cart):\n    return sum(cart)\n")
    write(root, "tests/test_checkout.py",
          "from shop.checkout import apply_discount\n\n"
          "def test_apply_discount_coupon_basket():\n"
          "    # every basket with a coupon; division by zero; nested payload\n"
          "    assert apply_discount([1], coupon) == 1\n")
    write(root, "CHANGELOG.md", "# Changes\n\n- coupon basket division by zero fixed in "
          "apply_discount for every nested payload when you load a coupon\n")
    write(root, "shop/greet.py", "def hello():\n    return 'hi'\n")
    write(root, "shop/parser.py",
          "class ConfigReader:\n    def parseConfig(self, text):\n        return text\n")


def test_report_terms_weigh_frames_and_code_above_prose() -> None:
    terms = query_terms.extract(REPORT + " word " * 500 + " ".join(f"w{n}x" for n in range(80)))
    assert terms.weights["apply discount"] == query_terms.W_FRAME
    assert terms.weights["checkout"] == query_terms.W_FRAME  # the frame's file
    assert terms.weights["zerodivisionerror"] >= query_terms.W_CODE
    assert terms.weights["compute total"] >= query_terms.W_CODE  # inside the code block
    assert terms.weights["coupon"] == query_terms.W_PROSE
    assert "the" not in terms.weights and terms.is_report
    assert any(p.endswith("shop/checkout.py") for p in terms.paths)
    assert "w79x" in terms.weights  # not cut at a fixed number of terms
    match = query_terms.match_expression(terms)
    assert match is not None and match.count('"apply discount"') == query_terms.W_FRAME


def test_identifiers_are_split_and_kept_whole() -> None:
    assert query_terms.split_identifier("parseConfigHTTP2_value") == [
        "parse", "config", "http", "2", "value"]
    terms = query_terms.extract("parseConfig fails")
    assert "parseconfig" in terms.weights and "parse" in terms.weights
    assert "config" in terms.weights


def test_report_finds_the_module_before_its_test_and_the_changelog(
    tree: Path, open_index: Opener
) -> None:
    shop(tree)
    project = open_index(tree)
    project.update(embed=False)
    found = project.search_files(REPORT, k=5, mode="lexical")
    assert found[0].path == "shop/checkout.py"
    order = [f.path for f in found]
    assert order.index("tests/test_checkout.py") > order.index("shop/checkout.py")
    assert found[0].hits and found[0].hits[0].symbol == "apply_discount"
    # a query that names the test gets the test file first
    named = project.search_files("test_apply_discount_coupon_basket fails", k=3, mode="lexical")
    assert named[0].path == "tests/test_checkout.py"


def test_stop_word_that_the_project_defines_is_found(tree: Path, open_index: Opener) -> None:
    shop(tree)
    project = open_index(tree)
    project.update(embed=False)
    assert [h.path for h in project.search("hello", mode="lexical")] == ["shop/greet.py"]
    assert project.search("the", mode="lexical") == []


def test_camel_case_parts_and_qualified_names_match(tree: Path, open_index: Opener) -> None:
    shop(tree)
    project = open_index(tree)
    project.update(embed=False)
    assert project.search("parse config", mode="lexical")[0].path == "shop/parser.py"
    assert project.search("ConfigReader.parseConfig", mode="lexical")[0].path == "shop/parser.py"


def test_priors_and_aggregation() -> None:
    report = query_terms.extract(REPORT)
    short = query_terms.extract("coupon")
    assert file_kind("docs/index.rst") == file_kind("CHANGELOG.md") == "doc"
    assert file_kind("tests/test_x.py") == "test" and file_kind("pkg/x.py") == "code"
    assert prior("CHANGELOG.md", report) < prior("tests/test_x.py", report) < 1.0
    assert prior("CHANGELOG.md", short) == 1.0  # a one-word lookup: no prior
    ranked = aggregate([("a.py", 10.0, 1), ("b.py", 9.0, 2), ("b.py", 8.0, 3),
                        ("a.py", 1.0, 4)])
    assert [path for path, _, _ in ranked] == ["b.py", "a.py"]
    many = aggregate([("long.py", 10.0, n) for n in range(50)])
    assert many[0][1] <= 15.0  # the bonus is bounded


def test_old_index_is_migrated(tree: Path, open_index: Opener) -> None:
    shop(tree)
    project = open_index(tree)
    project.update(embed=False)
    db_path = project.dir / "index.db"
    project.close()
    db = sqlite3.connect(db_path)  # turn it into an index of the previous schema
    db.executescript(
        "DROP TRIGGER chunks_ai; DROP TRIGGER chunks_ad; DROP TABLE chunks_fts;"
        "ALTER TABLE chunks DROP COLUMN qualname; ALTER TABLE chunks DROP COLUMN words;"
        "UPDATE chunks SET embedded = 1;"
        "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, path, symbol, content='chunks',"
        " content_rowid='id');"
    )
    db.commit()
    old_ids = {row[0] for row in db.execute("SELECT id FROM chunks")}
    db.close()
    again = open_index(tree)
    summary = again.update(embed=False)
    assert summary.added == summary.files and summary.files > 0  # every file re-read
    assert [h.path for h in again.search("hello", mode="lexical")] == ["shop/greet.py"]
    new_ids = {row[0] for row in sqlite3.connect(db_path).execute("SELECT id FROM chunks")}
    assert not new_ids & old_ids  # ids are never reused
    deletes = sqlite3.connect(db_path).execute("SELECT count(*) FROM vector_deletes")
    assert deletes.fetchone()[0] == len(old_ids)  # the old vectors are queued for deletion


def test_cli_search_files(tree: Path, open_index: Opener, monkeypatch) -> None:  # noqa: ANN001
    from assistant.cli import app

    shop(tree)
    project = open_index(tree)
    project.update(embed=False)
    monkeypatch.chdir(tree)
    result = CliRunner().invoke(
        app, ["search", REPORT, "--files", "--mode", "lexical", "--json", "-k", "3",
              "--project", str(tree)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["path"] == "shop/checkout.py" and data[0]["chunks"]
    assert {"path", "start_line", "end_line", "score", "snippet"} <= set(data[0]["chunks"][0])
    text = CliRunner().invoke(app, ["search", "hello", "--files", "--mode", "lexical",
                                    "--project", str(tree)])
    assert text.exit_code == 0 and "1. shop/greet.py" in text.stdout
