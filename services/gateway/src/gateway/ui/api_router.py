"""The chat page: static files at / and /ui/, a plain client of the public API (no endpoints of its own)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# Everything the page loads comes from the gateway itself: no CDN, no inline script, works offline.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
@router.get("/ui/")
async def page() -> FileResponse:
    """The single page."""
    return FileResponse(STATIC_DIR / "index.html", headers=_HEADERS)


@router.get("/ui")
async def page_slash() -> RedirectResponse:
    """/ui -> /ui/ (relative asset URLs resolve under /ui/)."""
    return RedirectResponse("/ui/", status_code=308)


def mount_ui(app: FastAPI) -> None:
    """Serve the page and its assets (`/ui/assets/...`)."""
    app.include_router(router)
    app.mount("/ui/assets", StaticFiles(directory=STATIC_DIR), name="ui-assets")
