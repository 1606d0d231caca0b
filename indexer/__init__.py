"""The codebase indexer: scan, chunk, embed, lexical (FTS5), vectors (Chroma), hybrid ranking,
watch. Exports the data shapes in :mod:`indexer.types`; :mod:`indexer.project` opens one
project's index and :mod:`indexer.service` drives its lifecycle for every front end. Heavy
parts (sentence-transformers, chromadb, tree-sitter) are imported lazily by the modules that
need them."""

from indexer.types import Hit, IndexProgress, IndexStatus, IndexSummary, SearchMode

__all__ = ["Hit", "IndexProgress", "IndexStatus", "IndexSummary", "SearchMode"]
