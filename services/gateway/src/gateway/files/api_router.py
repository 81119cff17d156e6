"""GET /v1/vector_stores/{id}/files[/{file_id}[/content]], GET /v1/files/{file_id}[/content]."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.deps import FilesDep, Principal, StateDep, require_principal
from gateway.files.protocol import FileContentPage, FileObject, VectorStoreFile, VectorStoreFileList
from gateway.openapi import ERROR_RESPONSES

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)


@router.get("/v1/vector_stores/{vector_store_id}/files", responses=ERROR_RESPONSES)
async def list_files(vector_store_id: str, files: FilesDep, _: Principal) -> VectorStoreFileList:
    """Every filing in the index, with its attributes (ticker, company, fiscal_year, form, url, ...)."""
    return files.list(vector_store_id)


@router.get("/v1/vector_stores/{vector_store_id}/files/{file_id}", responses=ERROR_RESPONSES)
async def retrieve_store_file(
    vector_store_id: str, file_id: str, files: FilesDep, _: Principal
) -> VectorStoreFile:
    """One filing of the vector store."""
    return files.store_file(vector_store_id, file_id)


@router.get("/v1/vector_stores/{vector_store_id}/files/{file_id}/content", responses=ERROR_RESPONSES)
async def file_content(
    vector_store_id: str,
    file_id: str,
    files: FilesDep,
    _: Principal,
    page: Annotated[int | None, Query(ge=1, description="only this PDF page")] = None,
    item: Annotated[str | None, Query(max_length=8, description="only this 10-K Item, e.g. 7")] = None,
) -> FileContentPage:
    """The filing's indexed text as pages (PDF) or Item sections (HTML), with each chunk's character span."""
    return files.content(vector_store_id, file_id, page=page, item=item)


@router.get("/v1/files/{file_id}", responses=ERROR_RESPONSES)
async def retrieve_file(file_id: str, files: FilesDep, _: Principal) -> FileObject:
    """The filing as an OpenAI file object."""
    return files.file(file_id)


@router.get(
    "/v1/files/{file_id}/content",
    response_class=PlainTextResponse,
    responses={**ERROR_RESPONSES, 303: {"description": "a browser is sent to the viewer (`/ui/?file=`)"}},
)
async def retrieve_file_content(
    request: Request,
    file_id: str,
    state: StateDep,
    files: FilesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """The indexed text; a browser following a citation link goes to the page's viewer instead.

    Browsers keep the link's fragment across the redirect, so `#page=N` reaches the viewer, which calls this
    API with the key from its own storage (a plain link cannot send one).
    """
    if state.settings.ui_served and "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/ui/?file={quote(file_id, safe='')}", status_code=303)
    await require_principal(request, state, credentials)
    text, filename = files.text(file_id)
    disposition = f"inline; filename*=UTF-8''{quote(filename.rsplit('.', 1)[0] + '.txt')}"
    return PlainTextResponse(text, headers={"Content-Disposition": disposition})
