"""On-disk cache of parsed documents keyed by file checksum (PDF text extraction is slow)."""

import hashlib
import json
import logging
import os
from pathlib import Path

from retriever.parsing.document import ParsedDocument, parse_file

logger = logging.getLogger(__name__)

# Bump when parser output changes so stale cache entries are ignored.
PARSER_VERSION = "2"


def parse_cached(path: Path, fmt: str | None, cache_dir: Path | None) -> ParsedDocument:
    """parse_file, reusing a cached result for identical file bytes."""
    if cache_dir is None:
        return parse_file(path, fmt)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = cache_dir / f"{digest}-{fmt or 'auto'}-v{PARSER_VERSION}.json"
    if entry.exists():
        try:
            data = json.loads(entry.read_text())
            return ParsedDocument(
                text=data["text"], page_starts=data["page_starts"], paginated=data["paginated"]
            )
        except (ValueError, KeyError) as exc:
            logger.warning("ignoring corrupt parse cache entry %s: %s", entry.name, exc)
    doc = parse_file(path, fmt)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"text": doc.text, "page_starts": doc.page_starts, "paginated": doc.paginated}))
    tmp.replace(entry)
    return doc
