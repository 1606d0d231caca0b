"""Open what the user pointed at (a zip, a folder, a JSON or JSON Lines file, an SQLite
database), work out its format, and parse it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from assistant.errors import ImportFormatError
from assistant.importers import chatgpt, claude, fireside, llm
from assistant.importers.common import Parsed

FORMATS = ("chatgpt", "claude", "llm", "fireside")
_SPLIT = re.compile(r"conversations(-\d+)?\.json")
_SQLITE = b"SQLite format 3\x00"
_LABEL = {"chatgpt": "a ChatGPT export", "claude": "a Claude export",
          "llm": "an llm logs.db", "fireside": "a Fireside export"}


def _json(text: str | bytes, name: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{name} is not valid JSON ({exc})") from None


def _zip_documents(path: Path) -> list[tuple[str, Any]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if _SPLIT.fullmatch(n.rsplit("/", 1)[-1]))
            if not names:
                raise ImportFormatError(
                    f"{path.name} holds no conversations.json: is it a ChatGPT or Claude export?")
            depth = min(n.count("/") for n in names)  # the export's own files, not nested copies
            return [(n, _json(archive.read(n), f"{path.name}:{n}"))
                    for n in names if n.count("/") == depth]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ImportFormatError(f"{path.name} is a damaged zip file ({exc})") from None


def _folder_documents(folder: Path) -> list[tuple[str, Any]]:
    files = sorted(p for p in folder.iterdir() if _SPLIT.fullmatch(p.name))
    if folder.is_file():
        files = [folder]
    if not files:
        raise ImportFormatError(f"{folder} holds no conversations.json")
    return [(p.name, _json(p.read_bytes(), p.name)) for p in files]


def _split_siblings(path: Path) -> list[Path]:
    """``conversations-000.json`` brings its siblings ``-001``, ``-002`` … along."""
    if re.fullmatch(r"conversations-\d+\.json", path.name):
        return sorted(p for p in path.parent.iterdir()
                      if re.fullmatch(r"conversations-\d+\.json", p.name))
    return [path]


def _parse_documents(documents: list[tuple[str, Any]], fmt: str | None, path: Path) -> Parsed:
    first = documents[0][1]
    detected = ("chatgpt" if chatgpt.looks_like(first)
                else "claude" if claude.looks_like(first) else None)
    if detected is None and (first == [] or first == {"conversations": []}):
        detected = fmt or "chatgpt"  # an export with no chats: nothing to import
    if detected is None:
        raise ImportFormatError(
            f"{path.name} is JSON but neither a ChatGPT nor a Claude export (no `mapping` or"
            " `chat_messages` in its conversations)")
    if fmt is not None and fmt != detected:
        raise ImportFormatError(f"{path.name} looks like {_LABEL[detected]}, not {_LABEL[fmt]}")
    module = chatgpt if detected == "chatgpt" else claude
    parsed = Parsed(module.SOURCE)
    for _name, data in documents:
        module.parse(data, parsed)
    return parsed


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)


def read_export(path: Path, fmt: str | None = None) -> Parsed:
    """Every chat in ``path``; ImportFormatError for a missing, unknown or corrupt file."""
    if fmt is not None and fmt not in FORMATS:
        raise ImportFormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        if path.is_dir():
            return _parse_documents(_folder_documents(path), fmt, path)
        head = _head(path)
        if head.startswith(_SQLITE):
            if fmt not in (None, "llm"):
                raise ImportFormatError(f"{path.name} is an SQLite database, not {_LABEL[fmt]}")
            return llm.parse_file(path)
        if fmt == "llm":
            raise ImportFormatError(f"{path.name} is not an SQLite database (an llm logs.db)")
        if head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".zip":
            return _parse_documents(_zip_documents(path), fmt, path)
        first_line = head.split(b"\n", 1)[0].decode("utf-8", "replace")
        if fmt == "fireside" or (fmt is None and fireside.looks_like(first_line)):
            lines = path.read_text(encoding="utf-8").splitlines()
            return fireside.parse_lines(lines)
        documents = [(p.name, _json(p.read_bytes(), p.name)) for p in _split_siblings(path)]
        return _parse_documents(documents, fmt, path)
    except FileNotFoundError:
        raise ImportFormatError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
