"""Browser tests of the chat page: Debian Chromium + Playwright against gateways with test upstreams.

The index is the gateway suite's (AAPL and NVDA FY2024, HTML); the viewer's PDF mode (the cited page) is
covered against the real stack in tests/e2e/test_e2e_ui.py, whose index holds PDFs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from support.browser import chromium, missing_browser
from support.inprocess import Gateway, gateway_factory, serve
from ui.cited_upstream import cited_app

expect.set_options(timeout=15_000)  # a busy 2-core CI host streams slower than a laptop


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; a missing browser fails the run loudly (it is never skipped)."""
    reason = missing_browser()
    if reason:
        pytest.fail(reason)
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (empty local storage) and page, desktop-sized."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture(scope="session")
def upstream_session() -> Iterator[Any]:
    """The synthetic upstream in a thread: starts in well under a second even on a loaded host."""
    from synthetic_upstream.testing import run_upstream

    with run_upstream(
        mode="thread", models=["synthetic-model"], ttft_ms=20, itl_ms=2, max_model_len=4096
    ) as up:
        yield up


@pytest.fixture(scope="session")
def cited_upstream() -> Iterator[str]:
    """Base URL (…/v1) of an upstream whose answer cites [1] and [2]."""
    with serve(cited_app()) as url:
        yield url + "/v1"


@pytest.fixture
def ui_gateway(
    upstream: Any, cited_upstream: str, index_root: Path, embedder: Any, search_index: Any
) -> Iterator[Callable[..., Gateway]]:
    """Gateways over the UI index: `synthetic-model` by default, `cited-model` routed to its upstream."""
    with gateway_factory(upstream.base_url, index_root, embedder, search_index) as start:

        def start_ui(**overrides: Any) -> Gateway:
            overrides.setdefault("upstreams", {"cited-model": cited_upstream})
            return start(**overrides)

        yield start_ui
