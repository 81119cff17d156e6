"""The chat page in headless Chromium against the real local stack: vLLM on CPU, the gateway, real filings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from support.browser import chromium, missing_browser, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def e2e_browser() -> Iterator[Any]:
    reason = missing_browser()
    if reason:
        pytest.fail(reason)
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(e2e_browser: Any) -> Iterator[Any]:
    context = e2e_browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def gateway_root(stack: Any) -> str:
    return stack.base_url.removesuffix("/v1")


def test_question_to_highlighted_passage_on_the_cited_pdf_page(
    page: Any, local_stack: Any, served_model: str
) -> None:
    key = local_stack.env["RAG_API_KEYS"]
    page.add_init_script(f"localStorage.setItem('sec-rag.api-key', {key!r})")
    page.goto(gateway_root(local_stack) + "/")
    expect(page.locator("#model option", has_text=served_model)).to_have_count(1, timeout=30_000)
    page.select_option("#model", served_model)
    page.locator("label", has_text="(MSFT)").click()
    page.get_by_label("2023", exact=True).check()
    page.fill("#question", "What was Microsoft's total revenue in fiscal year 2023?")
    page.press("#question", "Enter")

    answer = page.locator(".turn.assistant .content").last
    expect(page.locator(".turn.assistant.streaming")).to_have_count(1)
    sources = page.locator("#source-list li.source")
    # Sources arrive with the first token: after the prompt's CPU prefill (RAG_TTFT_TIMEOUT is 300 s here).
    expect(sources.first).to_be_visible(timeout=300_000)
    for head in sources.locator(".source-head").all_inner_texts():
        assert "MSFT · FY2023" in head, head
    expect(answer).not_to_be_empty(timeout=120_000)
    expect(page.locator(".turn.assistant.streaming")).to_have_count(0, timeout=300_000)
    assert answer.inner_text().strip()
    expect(page.locator("#timings")).to_contain_text(re.compile(r"retrieval \d+ ms"))
    screenshot(page, "e2e-chat")

    # SmolLM2 does not always cite; its [n] links are used when it does, else the sources panel's.
    cited = page.locator(".turn.assistant a.cite")
    number = int(cited.first.inner_text().strip("[]")) if cited.count() else 1
    meta = page.locator(f"#source-{number} .source-meta").inner_text()
    cited_page = int(re.search(r"page (\d+)", meta).group(1))  # type: ignore[union-attr]
    opener = cited.first if cited.count() else page.locator(f"#source-{number} button.source-open")
    opener.click()

    viewer = page.locator("#viewer")
    expect(viewer).to_have_attribute("data-page", str(cited_page), timeout=30_000)
    expect(page.locator("#viewer-title")).to_contain_text("MSFT")
    mark = viewer.locator("mark.passage")
    expect(mark).to_have_count(1)
    expect(mark).to_be_in_viewport()
    part = viewer.locator(".doc-part", has=page.locator("mark.passage"))
    expect(part.locator("h3")).to_contain_text(f"Page {cited_page}")
    expect(page.locator("#viewer-edgar")).to_have_attribute("href", re.compile(r"^https://www\.sec\.gov/"))
    screenshot(page, "e2e-viewer")


def test_wrong_key_shows_the_401_message(page: Any, local_stack: Any) -> None:
    page.add_init_script("localStorage.setItem('sec-rag.api-key', 'not-the-key')")
    page.goto(gateway_root(local_stack) + "/")
    expect(page.locator("#status")).to_contain_text("refused the API key", timeout=30_000)
