"""The project index's SQLite file: files, chunks, an FTS5 table (BM25), and the embedding cache.

One file per project (``index.db`` in the project's index folder), WAL mode with a busy timeout
so another process can read while the owner writes. Tables:

- ``files``: path, size, mtime_ns, content hash: change detection.
- ``chunks``: id (never reused, so a stale vector id cannot point at another chunk), path,
  lines, symbol, hash, text, ``embedded`` (1 when its vector is in the vector store).
- ``chunks_fts``: FTS5 over text, path and symbol, kept in step by triggers.
- ``embeddings``: (model, chunk hash) → float32 vector; renames and branch switches reuse it.
- ``vector_deletes``: ids of removed chunks whose vectors are still to be deleted.

Free-text queries become safe FTS5 queries (:func:`fts_query`): words only, quoted, OR-ed,
capped; a pasted bug report works and no input can raise an FTS5 syntax error.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IndexerError
from indexer.chunk import Chunk

MAX_TERMS = 40

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    symbol TEXT, hash TEXT NOT NULL, text TEXT NOT NULL, embedded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(embedded) WHERE embedded = 0;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, path, symbol, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, path, symbol)
    VALUES (new.id, new.text, new.path, new.symbol);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, path, symbol)
    VALUES ('delete', old.id, old.text, old.path, old.symbol);
END;
CREATE TABLE IF NOT EXISTS embeddings(
    model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY(model, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vector_deletes(chunk_id INTEGER PRIMARY KEY);
"""

_STOPWORD_TEXT = """a an and are as at be been but by can could did do does doing for from
had has have
how i if in into is it its me my no not of on or our so than that the their them then there
these they this to too was we were what when where which while who why will with would you
your just also get got when after before should please here hi hello thanks thank"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ChunkRow:
    id: int
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    text: str
    score: float = 0.0


def fts_query(text: str, max_terms: int = MAX_TERMS) -> str | None:
    """A safe FTS5 MATCH expression for free text, or None when it has no usable words.

    Words are split like the index tokenizer splits them (underscores too; a snake_case name
    also counts as the phrase of its parts), stop words and one-letter words dropped, each
    quoted, OR-ed. Over ``max_terms`` words, identifier-like and
    longer words are kept (they carry a pasted bug report's meaning).
    """
    seen: dict[str, float] = {}
    for raw in _WORD.findall(text[:100_000]):
        weight = 2 if ("_" in raw or any(c.isdigit() for c in raw) or _mixed_case(raw)) else 0
        parts = [part for part in raw.lower().split("_") if part]
        if len(parts) > 1 and len(raw) <= 64:  # snake_case: also the exact sequence
            seen.setdefault(" ".join(parts), 3.0)
        for part in parts:
            if len(part) < 2 or part in _STOPWORDS or len(part) > 64:
                continue
            if part not in seen:
                seen[part] = weight + min(len(part), 12) / 12
            else:
                seen[part] = max(seen[part], weight + min(len(part), 12) / 12)
    if not seen:
        return None
    terms = list(seen)
    if len(terms) > max_terms:
        keep = set(sorted(terms, key=lambda t: -seen[t])[:max_terms])
        terms = [t for t in terms if t in keep]
    return " OR ".join(f'"{t}"' for t in terms)


def _mixed_case(word: str) -> bool:
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


class LexicalIndex:
    """The SQLite side of one project's index (thread-safe: one connection, one lock)."""

    def __init__(self, db_path: Path, create: bool = True) -> None:
        self.path = db_path
        if not create and not db_path.exists():
            raise IndexerError(f"no index at {db_path.parent}")
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(db_path, check_same_thread=False, timeout=10.0)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._db:
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise IndexerError(f"cannot open the index database {db_path}: {exc}") from exc
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def commit(self) -> None:
        with self.lock:
            self._db.commit()

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- files --------------------------------------------------------------------------
    def file_states(self) -> dict[str, tuple[int, int, str]]:
        with self.lock:
            rows = self._db.execute("SELECT path, size, mtime_ns, hash FROM files").fetchall()
        return {path: (size, mtime, digest) for path, size, mtime, digest in rows}

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        with self.lock:
            self._db.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, path)
            )

    def replace_file(
        self, path: str, size: int, mtime_ns: int, digest: str, chunks: Sequence[Chunk]
    ) -> None:
        """Drop the file's old chunks and store the new ones (the caller commits)."""
        with self.lock:
            self._drop_chunks(path)
            self._db.executemany(
                "INSERT INTO chunks(path, start_line, end_line, symbol, hash, text) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(path, c.start_line, c.end_line, c.symbol, c.hash, c.text) for c in chunks],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO files(path, size, mtime_ns, hash) VALUES (?, ?, ?, ?)",
                (path, size, mtime_ns, digest),
            )

    def remove_file(self, path: str) -> None:
        with self.lock:
            self._drop_chunks(path)
            self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    def _drop_chunks(self, path: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO vector_deletes(chunk_id) "
            "SELECT id FROM chunks WHERE path = ? AND embedded = 1",
            (path,),
        )
        self._db.execute("DELETE FROM chunks WHERE path = ?", (path,))

    # -- counts -------------------------------------------------------------------------
    def counts(self) -> tuple[int, int, int]:
        """(files, chunks, chunks with a vector)."""
        with self.lock:
            files = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
            chunks, embedded = self._db.execute(
                "SELECT count(*), coalesce(sum(embedded), 0) FROM chunks"
            ).fetchone()
        return files, chunks, embedded

    # -- embeddings ---------------------------------------------------------------------
    def pending(self, limit: int, after_id: int = 0) -> list[tuple[int, str, str, str]]:
        """Chunks without a vector: (id, hash, text, path), by id."""
        with self.lock:
            return self._db.execute(
                "SELECT id, hash, text, path FROM chunks WHERE embedded = 0 AND id > ? "
                "ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()

    def existing(self, ids: Iterable[int]) -> set[int]:
        ids = list(ids)
        with self.lock:
            return {
                row[0]
                for row in self._db.execute(
                    f"SELECT id FROM chunks WHERE id IN ({_marks(len(ids))})", ids
                )
            } if ids else set()

    def mark_embedded(self, ids: Sequence[int]) -> None:
        with self.lock:
            self._db.executemany("UPDATE chunks SET embedded = 1 WHERE id = ?", [(i,) for i in ids])

    def reset_embedded(self) -> None:
        with self.lock:
            self._db.execute("UPDATE chunks SET embedded = 0 WHERE embedded = 1")
            self._db.execute("DELETE FROM vector_deletes")

    def cached_vectors(self, model: str, hashes: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(hashes))
        with self.lock:
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                found.update(
                    self._db.execute(
                        f"SELECT hash, vector FROM embeddings WHERE model = ? "
                        f"AND hash IN ({_marks(len(part))})",
                        [model, *part],
                    ).fetchall()
                )
        return found

    def store_vectors(self, model: str, items: Iterable[tuple[str, bytes]]) -> None:
        with self.lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings(model, hash, vector) VALUES (?, ?, ?)",
                [(model, digest, blob) for digest, blob in items],
            )

    def vector_deletes(self, limit: int = 5000) -> list[int]:
        with self.lock:
            return [
                row[0]
                for row in self._db.execute(
                    "SELECT chunk_id FROM vector_deletes LIMIT ?", (limit,)
                )
            ]

    def clear_vector_deletes(self, ids: Sequence[int]) -> None:
        with self.lock:
            self._db.executemany(
                "DELETE FROM vector_deletes WHERE chunk_id = ?", [(i,) for i in ids]
            )

    # -- reading ------------------------------------------------------------------------
    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not ids:
            return {}
        with self.lock:
            rows = self._db.execute(
                "SELECT id, path, start_line, end_line, symbol, text FROM chunks "
                f"WHERE id IN ({_marks(len(ids))})",
                list(ids),
            ).fetchall()
        return {row[0]: ChunkRow(*row) for row in rows}

    def search(
        self, query: str, limit: int, accept: Callable[[str], bool] | None = None
    ) -> list[ChunkRow]:
        """BM25-ranked chunks (best first); ``accept`` filters on the path."""
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        sql = (
            "SELECT c.id, c.path, c.start_line, c.end_line, c.symbol, c.text, "
            "bm25(chunks_fts, 1.0, 0.5, 2.0) AS rank "
            "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? ORDER BY rank"
        )
        found: list[ChunkRow] = []
        with self.lock:
            try:
                cursor = self._db.execute(
                    sql + ("" if accept else " LIMIT ?"),
                    (match,) if accept else (match, limit),
                )
                for row in cursor:
                    if accept is not None and not accept(row[1]):
                        continue
                    found.append(ChunkRow(*row[:6], score=-float(row[6])))
                    if len(found) >= limit:
                        break
            except sqlite3.OperationalError as exc:
                raise IndexerError(f"search failed: {exc}") from exc
        return found


def _marks(n: int) -> str:
    return ", ".join("?" * n)
