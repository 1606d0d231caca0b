"""Split a file into chunks: code at function/class boundaries (tree-sitter), other text in
line windows.

Every chunk has a 1-based inclusive line range, an optional symbol (``Class.method``), and a
text that starts with a header line naming its path and symbol, so a chunk read on its own (in
a prompt, in an FTS hit) says where it came from. Its ``hash`` covers the symbol and the code but
not the path: a renamed file's chunks keep their hashes, so their cached embeddings are reused.

Rules: a definition up to ``MAX_LINES`` is one chunk; a longer container (class, impl) is split
at its methods; any other long definition is cut into line windows. Code between definitions
becomes its own chunk; a few lines right above a definition (comments) join it. Adjacent
small chunks are merged so one-line helpers do not each cost an embedding.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

MAX_LINES = 60  # a definition longer than this is split
WINDOW = 40  # lines per window (fallback text and split definitions)
MAX_CHARS = 4000  # a window is cut earlier when its text grows past this
MERGE_LINES = 12  # adjacent small chunks (each up to half this) are merged up to this size
ATTACH_LINES = 3  # up to this many lines right above a definition (comments) join it

LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".scala": "scala",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".swift": "swift",
    ".lua": "lua",
    ".sh": "bash",
    ".bash": "bash",
}

_DEF_WORDS = ("function", "method", "class", "struct", "impl", "enum", "trait", "interface",
              "module", "mod", "type", "constructor", "namespace", "object")
_DEF_SUFFIXES = ("_definition", "_declaration", "_item", "_specifier")
_NOT_DEFS = {"lexical_declaration", "variable_declaration", "field_declaration",
             "type_identifier", "parameter_declaration", "short_var_declaration",
             "const_declaration", "var_declaration", "use_declaration", "import_declaration",
             "let_declaration", "primitive_type", "type_parameter_declaration"}
_WRAPPERS = {"decorated_definition", "export_statement", "template_declaration"}
_SIMPLE_DEFS = {"class", "module", "method", "function", "singleton_method"}  # ruby & co
_NAME_TYPES = ("identifier", "type_identifier", "field_identifier", "constant", "name",
               "property_identifier")


@dataclass(frozen=True)
class Chunk:
    start_line: int  # 1-based, inclusive
    end_line: int
    symbol: str | None
    text: str  # header line + code
    hash: str  # sha256 of symbol + code (not the path)


def language_for(path: str) -> str | None:
    dot = path.rfind(".")
    return LANGUAGES.get(path[dot:].lower()) if dot > path.rfind("/") else None


_local = threading.local()


def _parser(language: str) -> Any | None:
    cache = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    if language not in cache:
        try:
            from tree_sitter_language_pack import get_parser

            cache[language] = get_parser(language)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - an unknown or broken grammar: use line windows
            cache[language] = None
    return cache[language]


def chunk_file(path: str, source: str) -> list[Chunk]:
    """The chunks of one file (``path`` relative, forward slashes)."""
    lines = [line.rstrip("\r") for line in source.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not any(line.strip() for line in lines):
        return []
    spans: list[tuple[int, int, str | None]] = []  # 0-based inclusive rows
    language = language_for(path)
    parser = _parser(language) if language else None
    if parser is not None:
        tree = parser.parse(source.encode("utf-8", errors="replace"))
        _split_children(list(tree.root_node.children), 0, len(lines) - 1, None, lines, spans)
    else:
        _windows(0, len(lines) - 1, None, lines, spans)
    spans = _merge_small(spans, lines)
    return [chunk for start, end, symbol in spans for chunk in _make(path, start, end, symbol,
                                                                      lines)]


# -- tree-sitter -------------------------------------------------------------------------
def _is_def(node: Any) -> bool:
    kind = node.type
    if kind in _WRAPPERS:
        return any(_is_def(child) for child in node.children)
    if kind in _SIMPLE_DEFS and node.child_count > 1:
        return True
    if kind in _NOT_DEFS or not kind.endswith(_DEF_SUFFIXES):
        return False
    return any(word in kind for word in _DEF_WORDS)


def _name(node: Any) -> str | None:
    if node.type in _WRAPPERS:
        inner = next((c for c in node.children if _is_def(c)), None)
        return _name(inner) if inner is not None else None
    for field in ("name", "type", "declarator"):
        child = node.child_by_field_name(field)
        if child is not None:
            if child.type in _NAME_TYPES:
                return _text(child)
            found = _first_name(child)
            if found:
                return found
    return _first_name(node)


def _first_name(node: Any, depth: int = 0) -> str | None:
    for child in node.children:
        if child.type in _NAME_TYPES:
            return _text(child)
        if depth < 2 and child.type.endswith(("_spec", "_declarator")):
            found = _first_name(child, depth + 1)
            if found:
                return found
    return None


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")[:200] if node.text else ""


def _nested_defs(node: Any) -> list[Any]:
    """Definitions in a container's body (children and grandchildren)."""
    if node.type in _WRAPPERS:
        inner = next((c for c in node.children if _is_def(c)), None)
        return _nested_defs(inner) if inner is not None else []
    found: list[Any] = []
    for child in node.children:
        if _is_def(child):
            found.append(child)
        else:
            found.extend(grand for grand in child.children if _is_def(grand))
    return found


def _split_children(
    children: list[Any],
    start: int,
    end: int,
    prefix: str | None,
    lines: list[str],
    out: list[tuple[int, int, str | None]],
) -> None:
    """Chunks for rows ``start..end`` whose definitions are among ``children``."""
    cursor = start
    for node in children:
        if not _is_def(node):
            continue
        d_start, d_end = node.start_point[0], node.end_point[0]
        if node.end_point[1] == 0 and d_end > d_start:
            d_end -= 1  # ends at the start of the next line
        if d_start < cursor or d_end > end:
            continue  # overlaps what is already covered (a nested or odd node)
        gap_start = _attach_point(cursor, d_start, lines)
        if gap_start > cursor:
            _windows(cursor, gap_start - 1, prefix, lines, out)
        name = _name(node)
        symbol = f"{prefix}.{name}" if prefix and name else (name or prefix)
        _definition(node, gap_start, d_end, symbol, lines, out)
        cursor = d_end + 1
    if cursor <= end:
        _windows(cursor, end, prefix, lines, out)


def _attach_point(cursor: int, d_start: int, lines: list[str]) -> int:
    """Where a definition's chunk starts: a small gap before it (comments) joins it."""
    row = d_start
    while row > cursor and d_start - row < ATTACH_LINES and lines[row - 1].strip():
        row -= 1
    return row


def _definition(
    node: Any, start: int, end: int, symbol: str | None, lines: list[str],
    out: list[tuple[int, int, str | None]],
) -> None:
    if end - start + 1 <= MAX_LINES and _chars(start, end, lines) <= MAX_CHARS:
        out.append((start, end, symbol))
        return
    nested = _nested_defs(node)
    if nested:
        _split_children(nested, start, end, symbol, lines, out)
    else:
        _windows(start, end, symbol, lines, out)


# -- line windows ------------------------------------------------------------------------
def _windows(
    start: int, end: int, symbol: str | None, lines: list[str],
    out: list[tuple[int, int, str | None]],
) -> None:
    """Line windows over rows ``start..end``, skipping blank-only stretches at the edges."""
    while start <= end and not lines[start].strip():
        start += 1
    while end >= start and not lines[end].strip():
        end -= 1
    row = start
    while row <= end:
        stop, chars = row, 0
        while stop <= end and stop - row < WINDOW:
            chars += len(lines[stop]) + 1
            if chars > MAX_CHARS and stop > row:
                break
            stop += 1
        out.append((row, stop - 1, symbol))
        row = stop


def _chars(start: int, end: int, lines: list[str]) -> int:
    return sum(len(lines[row]) + 1 for row in range(start, end + 1))


def _merge_small(
    spans: list[tuple[int, int, str | None]], lines: list[str]
) -> list[tuple[int, int, str | None]]:
    merged: list[tuple[int, int, str | None]] = []
    for start, end, symbol in spans:
        if merged:
            p_start, p_end, p_symbol = merged[-1]
            if (
                end - start + 1 <= MERGE_LINES // 2
                and p_end - p_start + 1 <= MERGE_LINES // 2
                and end - p_start + 1 <= MERGE_LINES
                and p_end < start
                and _chars(p_start, end, lines) <= MAX_CHARS
            ):
                names = [s for s in (p_symbol, symbol) if s]
                joined = ", ".join(dict.fromkeys(", ".join(names).split(", "))) if names else None
                merged[-1] = (p_start, end, joined)
                continue
        merged.append((start, end, symbol))
    return merged


def _make(
    path: str, start: int, end: int, symbol: str | None, lines: list[str]
) -> list[Chunk]:
    """The span as one chunk, or, when its text is longer than ``MAX_CHARS`` (a long line:
    minified code, a one-line text), as several pieces over the same lines that together
    cover all of it (every indexed byte stays searchable)."""
    header = f"# {path}" + (f" · {symbol}" if symbol else "")
    chunks = []
    for body in _pieces("\n".join(lines[start : end + 1])):
        digest = hashlib.sha256(f"{symbol or ''}\n{body}".encode()).hexdigest()
        chunks.append(Chunk(start + 1, end + 1, symbol, f"{header}\n{body}", digest))
    return chunks


def _pieces(body: str) -> list[str]:
    """``body`` cut into pieces of at most ``MAX_CHARS``, at whitespace when there is some
    in a piece's second half (so words are not split)."""
    pieces: list[str] = []
    while len(body) > MAX_CHARS:
        cut = max(body.rfind(" ", MAX_CHARS // 2, MAX_CHARS), body.rfind("\n", MAX_CHARS // 2,
                                                                           MAX_CHARS))
        cut = cut + 1 if cut > 0 else MAX_CHARS
        pieces.append(body[:cut])
        body = body[cut:]
    pieces.append(body)
    return pieces
