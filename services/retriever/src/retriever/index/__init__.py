"""Versioned FAISS index: build, load, search."""

from retriever.index.search_index import IndexLoadError, SearchIndex

__all__ = ["IndexLoadError", "SearchIndex"]
