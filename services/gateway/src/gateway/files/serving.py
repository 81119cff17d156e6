"""Files of the index: listing, file objects and content, rebuilt from the serving version's chunks."""

from __future__ import annotations

from datetime import datetime

from retriever.index import SearchIndex

from gateway.errors import GatewayError
from gateway.files.catalog import FileCatalog, FilingDoc
from gateway.files.protocol import (
    ChunkSpanOut,
    FileContentPage,
    FileContentPart,
    FileObject,
    VectorStoreFile,
    VectorStoreFileList,
)
from gateway.retrieval.service import RetrievalService


def timestamp(iso: str) -> int:
    """Unix seconds of the index build time (0 when unreadable)."""
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def file_not_found(file_id: str) -> GatewayError:
    """404 in OpenAI's shape; the id is echoed only as the param value it was."""
    return GatewayError(
        404, f"No file found with id '{file_id[:80]}'.", param="file_id", code="file_not_found"
    )


class FileService:
    """Serves only filings of the loaded index, by id; nothing here reads a client-named path."""

    def __init__(self, retrieval: RetrievalService, store_id: str) -> None:
        self._retrieval = retrieval
        self._store_id = store_id
        self._cached: tuple[str, FileCatalog] | None = None

    def catalog(self) -> tuple[SearchIndex, FileCatalog]:
        """The serving index and its catalogue, rebuilt once per index version (hot swaps included)."""
        index = self._retrieval.index
        cached = self._cached
        if cached is None or cached[0] != index.version:
            cached = (index.version, FileCatalog(index.store))
            self._cached = cached
        return index, cached[1]

    def _require_store(self, store_id: str) -> None:
        if store_id != self._store_id:
            raise GatewayError(
                404,
                f"No vector store found with id '{store_id[:80]}'.",
                param="vector_store_id",
                code="vector_store_not_found",
            )

    def _doc(self, file_id: str) -> tuple[int, FilingDoc]:
        index, catalog = self.catalog()
        doc = catalog.get(file_id)
        if doc is None:
            raise file_not_found(file_id)
        return timestamp(index.created_at), doc

    def _store_file(self, created: int, doc: FilingDoc) -> VectorStoreFile:
        return VectorStoreFile(
            id=doc.id,
            usage_bytes=doc.text_bytes,
            created_at=created,
            vector_store_id=self._store_id,
            attributes=doc.attributes(),
        )

    def list(self, store_id: str) -> VectorStoreFileList:
        """GET /v1/vector_stores/{id}/files: one entry per filing."""
        self._require_store(store_id)
        index, catalog = self.catalog()
        created = timestamp(index.created_at)
        data = [self._store_file(created, doc) for doc in catalog.all()]
        return VectorStoreFileList(
            data=data, first_id=data[0].id if data else None, last_id=data[-1].id if data else None
        )

    def store_file(self, store_id: str, file_id: str) -> VectorStoreFile:
        """GET /v1/vector_stores/{id}/files/{file_id}."""
        self._require_store(store_id)
        return self._store_file(*self._doc(file_id))

    def file(self, file_id: str) -> FileObject:
        """GET /v1/files/{file_id}."""
        created, doc = self._doc(file_id)
        return FileObject(id=doc.id, bytes=doc.text_bytes, created_at=created, filename=doc.first.source_file)

    def text(self, file_id: str) -> tuple[str, str]:
        """The filing's indexed text and file name (GET /v1/files/{file_id}/content)."""
        _, doc = self._doc(file_id)
        return doc.text, doc.first.source_file

    def content(
        self, store_id: str, file_id: str, page: int | None = None, item: str | None = None
    ) -> FileContentPage:
        """Pages or sections with chunk spans, optionally only one page or one Item."""
        self._require_store(store_id)
        _, doc = self._doc(file_id)
        parts = [
            p
            for p in doc.parts
            if (page is None or p.page == page) and (item is None or (p.item or "").upper() == item.upper())
        ]
        return FileContentPage(
            file_id=doc.id,
            filename=doc.first.source_file,
            attributes=doc.attributes(),
            data=[
                FileContentPart(
                    text=p.text,
                    page=p.page,
                    item=p.item,
                    item_title=p.item_title,
                    char_start=p.char_start,
                    char_end=p.char_end,
                    chunks=[
                        ChunkSpanOut(id=c.id, char_start=c.char_start, char_end=c.char_end) for c in p.chunks
                    ],
                )
                for p in parts
            ],
        )
