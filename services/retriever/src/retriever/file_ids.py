"""Stable OpenAI-style file ids for indexed filings, shared by citations, the Responses API and the viewer."""

import hashlib
import re

from retriever.hits import ChunkMetadata

_ACCESSION = re.compile(r"^\d{10}-\d{2}-\d{6}$")


def file_id_for(doc_id: str, accession: str | None) -> str:
    """`file-<accession digits>` when the filing has an EDGAR accession number, else a hash of its doc id.

    Both survive rebuilds and re-chunking: they depend on the filing's identity, not on the index version.
    """
    if accession and _ACCESSION.match(accession):
        return "file-" + accession.replace("-", "")
    return "file-" + hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:24]


def file_id(metadata: ChunkMetadata) -> str:
    """The file id of the filing a chunk comes from."""
    return file_id_for(metadata.doc_id, metadata.accession)
