"""Debian's Chromium driven by Playwright for Python (`playwright install` cannot download a browser here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium's own connections are refused in sandboxes like CI's.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Set to a folder to keep the screenshots the browser tests take (the README's come from there).
SCREENSHOT_DIR = os.environ.get("UI_SCREENSHOT_DIR")


def screenshot(page: Any, name: str) -> None:
    """Keep a PNG of the page when UI_SCREENSHOT_DIR is set."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"))


def missing_browser() -> str | None:
    """Why the browser tests cannot run, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: run `bash scripts/install_browser.sh` (or `make browser`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: run `make venv` (requirements-dev.txt)"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser for the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
