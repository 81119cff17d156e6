"""Where filings come from: a local folder with manifest.csv, or EDGAR."""

from retriever.sources.local import ManifestError, SourceDocument, read_corpus

__all__ = ["ManifestError", "SourceDocument", "read_corpus"]
