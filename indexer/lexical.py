"""The project index's SQLite file: files, chunks, an FTS5 table (BM25), and the embedding cache.

One file per project (``index.db`` in the project's index folder), WAL mode with a busy timeout
so another process can read while the owner writes. Tables:

- ``files``: path, size, mtime_ns, content hash: change detection.
- ``chunks``: id (never reused, so a stale vector id cannot point at another chunk), path,
  lines, symbol, hash, text, ``embedded`` (1 when its vector is in the vector store).
- ``chunks_fts``: FTS5 over text, path, the qualified name (``pkg.module.Class.method``) and
  the camelCase words of the chunk's identifiers, kept in step by triggers; BM25 weighs the
  columns (:data:`FIELD_WEIGHTS`). An index from before these columns is migrated on open:
  its chunks are dropped (their vectors queued for deletion, cached embeddings kept) and the
  next update re-reads every file.
- ``embeddings``: (model, chunk hash) → float32 vector; renames and branch switches reuse it.
- ``vector_deletes``: ids of removed chunks whose vectors are still to be deleted.

Free-text queries become safe FTS5 queries (:mod:`indexer.query_terms`): words only, quoted,
weighted by repetition, OR-ed; a pasted bug report works and no input can raise an FTS5 syntax
error.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IndexerError
from indexer import query_terms
from indexer.chunk import Chunk

# bm25() column weights: text, path, qualname, words. A query word in the file's path or in
# the symbol's qualified name says far more about where the code lives than one in the body
# (which a docstring or a call site also has); camelCase parts are weaker than whole words.
FIELD_WEIGHTS = (1.0, 2.5, 2.5, 0.6)
CANDIDATES = 400  # chunks read per query before per-file priors re-rank them

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    symbol TEXT, hash TEXT NOT NULL, text TEXT NOT NULL, embedded INTEGER NOT NULL DEFAULT 0,
    qualname TEXT, words TEXT
);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(embedded) WHERE embedded = 0;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, path, qualname, words, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, path, qualname, words)
    VALUES (new.id, new.text, new.path, new.qualname, new.words);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, path, qualname, words)
    VALUES ('delete', old.id, old.text, old.path, old.qualname, old.words);
END;
CREATE TABLE IF NOT EXISTS embeddings(
    model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY(model, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vector_deletes(chunk_id INTEGER PRIMARY KEY);
"""



@dataclass(frozen=True)
class ChunkRow:
    id: int
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    text: str
    score: float = 0.0


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
                _migrate(self._db)
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
                "INSERT INTO chunks(path, start_line, end_line, symbol, hash, text, qualname,"
                " words) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(path, c.start_line, c.end_line, c.symbol, c.hash, c.text,
                  qualified_name(path, c.symbol), identifier_words(c.text)) for c in chunks],
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
            # Two index-only counts (the partial index holds the pending ones), not a scan of
            # every chunk's text: the embedding pass asks after each batch.
            chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            pending = self._db.execute(
                "SELECT count(*) FROM chunks WHERE embedded = 0"
            ).fetchone()[0]
        return files, chunks, chunks - pending

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

    def embedded_vectors(self, model: str) -> list[tuple[int, bytes]]:
        """(chunk id, cached vector) of every chunk marked embedded, by id."""
        with self.lock:
            return self._db.execute(
                "SELECT c.id, e.vector FROM chunks c JOIN embeddings e "
                "ON e.model = ? AND e.hash = c.hash WHERE c.embedded = 1 ORDER BY c.id",
                (model,),
            ).fetchall()

    def vectors_of(
        self, model: str, *, paths: Sequence[str] = (), ids: Sequence[int] = ()
    ) -> list[tuple[int, str, bytes]]:
        """(chunk id, path, cached vector) of the embedded chunks of these files or ids."""
        out: list[tuple[int, str, bytes]] = []
        with self.lock:
            for column, values in (("path", list(paths)), ("id", list(ids))):
                for start in range(0, len(values), 500):
                    part = values[start : start + 500]
                    out += self._db.execute(
                        "SELECT c.id, c.path, e.vector FROM chunks c JOIN embeddings e "
                        "ON e.model = ? AND e.hash = c.hash "
                        f"WHERE c.embedded = 1 AND c.{column} IN ({_marks(len(part))})",
                        [model, *part],
                    ).fetchall()
        return out

    def change_key(self) -> tuple[int, int]:
        """Changes whenever this file changes: another connection's commit (SQLite's
        ``data_version``) or this one's writes (``total_changes``)."""
        with self.lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            return int(version), self._db.total_changes

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
        if limit <= 0:
            return []
        terms = query_terms.extract(query)
        match = query_terms.match_expression(terms, self.symbol_stopwords(terms.stopwords))
        if match is None:
            return []
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS)
        sql = (
            "SELECT c.id, c.path, c.start_line, c.end_line, c.symbol, c.text, "
            f"bm25(chunks_fts, {weights}) AS rank "
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

    def symbol_stopwords(self, words: Iterable[str]) -> set[str]:
        """The stop words among ``words`` that the project defines as a name (``def hello``):
        a code identifier is never dropped as a stop word."""
        words = [w for w in words if len(w) >= 2]
        if not words:
            return set()
        with self.lock:
            rows = self._db.execute(
                f"SELECT DISTINCT lower(symbol) FROM chunks WHERE lower(symbol) IN "
                f"({_marks(len(words))})", words,
            ).fetchall()
            found = {row[0] for row in rows}
            for word in set(words) - found:  # Class.hello or "a, hello" (merged chunks)
                if self._db.execute(
                    "SELECT 1 FROM chunks WHERE symbol LIKE ? OR symbol LIKE ? LIMIT 1",
                    (f"%.{word}", f"%, {word}"),
                ).fetchone():
                    found.add(word)
        return found


def qualified_name(path: str, symbol: str | None) -> str:
    """``src/pkg/mod.py`` + ``Class.method`` → ``pkg.mod.Class.method`` (module path first)."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    parts = [p for p in stem.split("/") if p and p not in ("src", "lib")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    module = ".".join(parts)
    if not symbol:
        return module
    names = [name.strip() for name in symbol.split(",") if name.strip()]
    return " ".join(f"{module}.{name}" if module else name for name in names)


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifier_words(text: str) -> str:
    """The words inside the chunk's camelCase / digit-bearing identifiers (``parseConfig`` →
    "parse config"), each once: the index already has snake_case parts and whole words."""
    seen: dict[str, None] = {}
    for name in _IDENT.findall(text[:20_000]):
        if not query_terms.is_identifier(name) or "_" in name.strip("_") and name.islower():
            continue
        for part in query_terms.split_identifier(name):
            if len(part) >= 2:
                seen.setdefault(part, None)
    return " ".join(seen)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an index from before the qualname/words columns to the current schema."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
    if not columns or "qualname" in columns:
        return
    db.execute("CREATE TABLE IF NOT EXISTS vector_deletes(chunk_id INTEGER PRIMARY KEY)")
    db.execute(
        "INSERT OR IGNORE INTO vector_deletes(chunk_id) SELECT id FROM chunks WHERE embedded = 1"
    )
    db.execute("DROP TRIGGER IF EXISTS chunks_ai")
    db.execute("DROP TRIGGER IF EXISTS chunks_ad")
    db.execute("DROP TABLE IF EXISTS chunks_fts")
    db.execute("DELETE FROM chunks")  # ids stay unused (AUTOINCREMENT): no stale vector match
    db.execute("ALTER TABLE chunks ADD COLUMN qualname TEXT")
    db.execute("ALTER TABLE chunks ADD COLUMN words TEXT")
    db.execute("DELETE FROM files")  # the next update re-reads and re-chunks every file


def _marks(n: int) -> str:
    return ", ".join("?" * n)
