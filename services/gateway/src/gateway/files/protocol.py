"""Vector-store file, file object and file content models, fields in OpenAI's order."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

AttributeValue = str | int | float | bool


class VectorStoreFile(BaseModel):
    """One filing of the index as a vector-store file."""

    id: str
    object: Literal["vector_store.file"] = "vector_store.file"
    usage_bytes: int
    created_at: int
    vector_store_id: str
    status: Literal["completed"] = "completed"
    last_error: None = None
    attributes: dict[str, AttributeValue]


class VectorStoreFileList(BaseModel):
    """GET /v1/vector_stores/{id}/files."""

    object: Literal["list"] = "list"
    data: list[VectorStoreFile]
    first_id: str | None
    last_id: str | None
    has_more: bool = False


class FileObject(BaseModel):
    """GET /v1/files/{file_id}: the filing as an OpenAI file object."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    expires_at: int | None = None
    filename: str
    purpose: Literal["assistants"] = "assistants"
    status: Literal["processed"] = "processed"
    status_details: str | None = None


class ChunkSpanOut(BaseModel):
    """Where one indexed chunk sits, in document characters."""

    id: int
    char_start: int
    char_end: int


class FileContentPart(BaseModel):
    """OpenAI's `{type, text}` content item, plus where it sits: page (PDF) or Item section (HTML)."""

    type: Literal["text"] = "text"
    text: str
    page: int | None = None
    item: str | None = None
    item_title: str | None = None
    char_start: int
    char_end: int
    chunks: list[ChunkSpanOut]


class FileContentPage(BaseModel):
    """GET /v1/vector_stores/{id}/files/{file_id}/content (the SDK reads `data`)."""

    object: Literal["vector_store.file_content.page"] = "vector_store.file_content.page"
    file_id: str
    filename: str
    attributes: dict[str, AttributeValue]
    data: list[FileContentPart]
    has_more: bool = False
    next_page: str | None = None
