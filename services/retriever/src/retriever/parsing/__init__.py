"""Turn raw filing files (HTML, PDF, text) into clean text with page offsets."""

from retriever.parsing.document import ParsedDocument, parse_file

__all__ = ["ParsedDocument", "parse_file"]
