"""Chunking: tree-sitter boundaries and 1-based line ranges, windows for the rest."""

from __future__ import annotations

from indexer.chunk import MAX_LINES, WINDOW, chunk_file

PY = '''"""Module doc."""
import os


def alpha(x):
    """Alpha."""
    y = x + 1
    z = y * 2
    w = z - 3
    v = w / 4
    u = v ** 5
    return u


class Beta:
    """A class."""

    def gamma(self):
        a = 1
        b = 2
        c = 3
        d = 4
        e = 5
        return a + b + c + d + e

    def delta(self):
        a = 1
        b = 2
        c = 3
        d = 4
        e = 5
        return a - b - c - d - e
'''


def lines_of(source: str, start: int, end: int) -> str:
    return "\n".join(source.split("\n")[start - 1 : end])


def test_python_functions_and_classes_with_ranges_and_headers() -> None:
    chunks = chunk_file("pkg/mod.py", PY)
    by_symbol = {c.symbol: c for c in chunks}
    alpha = by_symbol["alpha"]
    assert (alpha.start_line, alpha.end_line) == (5, 12)
    assert alpha.text.split("\n", 1)[0] == "# pkg/mod.py · alpha"
    assert alpha.text.split("\n", 1)[1] == lines_of(PY, 5, 12)
    beta = by_symbol["Beta"]  # small enough to stay whole
    assert (beta.start_line, beta.end_line) == (15, 32)
    assert chunks[0].start_line == 1 and chunks[0].symbol is None  # module head
    # every line with text is covered exactly once
    covered = [n for c in chunks for n in range(c.start_line, c.end_line + 1)]
    assert len(covered) == len(set(covered))
    text_lines = {i for i, line in enumerate(PY.split("\n"), 1) if line.strip()}
    assert text_lines <= set(covered)


def test_big_class_splits_at_methods_and_long_function_into_windows() -> None:
    body = "\n".join(f"        v{i} = {i}" for i in range(MAX_LINES))
    source = (
        "class Big:\n"
        "    def one(self):\n" + body + "\n        return 1\n\n"
        "    def two(self):\n        return 2\n"
    )
    chunks = chunk_file("big.py", source)
    symbols = [c.symbol for c in chunks]
    assert "Big.two" in symbols
    one_parts = [c for c in chunks if c.symbol and "Big.one" in c.symbol]
    assert len(one_parts) >= 2  # longer than MAX_LINES: windows
    assert all(c.end_line - c.start_line + 1 <= WINDOW for c in one_parts)
    two = next(c for c in chunks if c.symbol and c.symbol.endswith("Big.two"))
    assert lines_of(source, two.start_line, two.end_line).strip().endswith("return 2")


def test_other_languages_and_fallback_windows() -> None:
    go = "package main\n\nfunc Hello() string {\n\treturn \"hi\"\n}\n"
    chunks = chunk_file("main.go", go)
    assert any(c.symbol and "Hello" in c.symbol for c in chunks)
    js = "export function add(a, b) {\n  return a + b;\n}\n"
    assert chunk_file("a.js", js)[0].symbol == "add"
    text = "\n".join(f"line {i}" for i in range(1, 101))
    windows = chunk_file("notes.txt", text)
    assert [(c.start_line, c.end_line) for c in windows] == [(1, 40), (41, 80), (81, 100)]
    assert chunk_file("empty.py", "\n\n  \n") == []


def test_hash_ignores_path_but_not_code() -> None:
    a = chunk_file("old/name.py", PY)
    b = chunk_file("new/place.py", PY)
    assert [c.hash for c in a] == [c.hash for c in b]
    assert a[0].text != b[0].text  # the header names the path
    c = chunk_file("old/name.py", PY.replace("y * 2", "y * 3"))
    assert [x.hash for x in a] != [x.hash for x in c]


def test_crlf_and_minified_lines() -> None:
    crlf = "def f():\r\n    return 1\r\n"
    chunk = chunk_file("w.py", crlf)[0]
    assert (chunk.start_line, chunk.end_line) == (1, 2) and "\r" not in chunk.text
    minified = "var a=1;" * 5000
    chunks = chunk_file("x.txt", minified)
    assert all(len(c.text) < 5000 and (c.start_line, c.end_line) == (1, 1) for c in chunks)
    # every byte of the long line is in some chunk (it used to keep only the first 4,000)
    assert "".join(c.text.split("\n", 1)[1] for c in chunks) == minified


def test_the_tail_of_a_long_single_line_text_is_in_a_chunk() -> None:
    text = "word " * 3000 + "zyxunique\n"
    chunks = chunk_file("notes.txt", text)
    assert len(chunks) > 1 and "zyxunique" in chunks[-1].text
    assert all(not c.text.split("\n", 1)[1].startswith("ord") for c in chunks)  # cut at spaces
