"""The chat page in a real browser against gateways with the synthetic and the citing upstreams."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect
from support.browser import screenshot
from ui.cited_upstream import CITED_MODEL

MODEL = "synthetic-model"


def open_page(page: Any, url: str, *, key: str = "", model: str = MODEL) -> None:
    """Load the page (with a key in local storage when given) and pick a model."""
    if key:
        page.add_init_script(f"localStorage.setItem('sec-rag.api-key', {key!r})")
    page.goto(url + "/")
    expect(page.locator("#model option", has_text=model)).to_have_count(1)
    page.select_option("#model", model)


def ask(page: Any, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")


def tick(page: Any, label: str) -> None:
    page.get_by_label(label, exact=True).check()


def sources(page: Any) -> Any:
    return page.locator("#source-list li.source")


def test_answer_streams_in_and_sources_appear(page: Any, ui_gateway: Any, upstream: Any) -> None:
    gateway = ui_gateway()
    # The gateway asks for RAG_DEFAULT_COMPLETION_TOKENS (512) tokens: t0 ... t511.
    upstream.control.set_timing(itl_ms=12)
    open_page(page, gateway.url)
    page.fill("#question", "What were Apple's total net sales")
    page.press("#question", "Shift+Enter")
    page.type("#question", "in fiscal 2024?")
    assert page.input_value("#question") == "What were Apple's total net sales\nin fiscal 2024?"
    page.press("#question", "Enter")
    answer = page.locator(".turn.assistant .content").last
    # Mid-stream: some tokens shown, the last not yet, Stop enabled.
    expect(page.locator(".turn.assistant.streaming")).to_have_count(1)
    expect(answer).to_contain_text("t3")
    assert "t511" not in answer.inner_text()
    expect(page.locator("#stop")).to_be_enabled()
    expect(sources(page)).not_to_have_count(0)
    expect(answer).to_contain_text("t511", timeout=30_000)
    expect(page.locator(".turn.assistant.streaming")).to_have_count(0)
    expect(page.locator("#stop")).to_be_disabled()
    first = sources(page).first
    expect(first).to_contain_text("AAPL")
    expect(first.locator(".source-meta")).to_contain_text(re.compile(r"Item \w+\. .+ · score 0\.\d{3}"))
    expect(page.locator("#timings")).to_contain_text(re.compile(r"retrieval \d+ ms .* first token \d+ ms"))
    # No filter was ticked: the one the gateway inferred from the question is shown.
    expect(page.locator("#applied-filter")).to_contain_text("Inferred from the question: ticker")
    expect(page.locator("#applied-filter")).to_contain_text("AAPL")
    assert page.console_errors == []


def test_citation_opens_the_html_filing_at_the_passage(page: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway()
    open_page(page, gateway.url, model=CITED_MODEL)
    tick(page, "Apple Inc. (AAPL)")
    tick(page, "2024")
    ask(page, "What were Apple's total net sales?")
    expect(page.locator(".turn.assistant.streaming")).to_have_count(0)
    citation = page.locator(".turn.assistant a.cite", has_text="[1]").first
    expect(page.locator(".turn.assistant a.cite")).to_have_count(3)
    source_text = sources(page).first.locator(".source-text").inner_text().removesuffix("…")
    screenshot(page, "chat-page")
    citation.click()
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(page.locator("#viewer-title")).to_contain_text("Apple Inc. (AAPL) · 10-K · FY2024")
    mark = viewer.locator("mark.passage")
    expect(mark).to_have_count(1)
    expect(mark).to_be_in_viewport()
    marked = " ".join(mark.inner_text().split())
    assert marked.startswith(" ".join(source_text.split())[:200])
    expect(page.locator("#viewer-edgar")).to_have_attribute("href", re.compile(r"^https://www\.sec\.gov/"))
    # This HTML filing has page breaks, so its cited page is shown (with paging), not only its Item.
    expect(page.locator("#viewer-where")).to_contain_text(re.compile(r"Page \d+ of \d+"))
    screenshot(page, "viewer-html")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(citation).to_be_focused()


def test_unsupported_figures_are_highlighted(page: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway()
    open_page(page, gateway.url, model=CITED_MODEL)
    tick(page, "Apple Inc. (AAPL)")
    ask(page, "What were Apple's total net sales in fiscal 2024?")
    expect(page.locator(".turn.assistant .grounding")).to_contain_text("not found in the cited sources")
    # The invented figure is in no source; the real one is.
    expect(page.locator("mark.unsupported")).to_have_count(1)
    expect(page.locator("mark.unsupported")).to_contain_text("123,456")
    expect(page.locator(".turn.assistant a.cite").first).to_be_visible()


def test_filters_change_the_sources(page: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway()
    open_page(page, gateway.url)
    tick(page, "Apple Inc. (AAPL)")
    tick(page, "2024")
    ask(page, "What were the total net sales?")
    expect(page.locator(".turn.assistant.streaming")).to_have_count(0)
    expect(sources(page)).not_to_have_count(0)
    for text in sources(page).locator(".source-head").all_inner_texts():
        assert "AAPL · FY2024" in text, text
    page.click("#clear-filters")
    page.locator("label", has_text="(NVDA)").click()
    ask(page, "What were the total net sales?")
    expect(sources(page).first).to_contain_text("NVDA")
    for text in sources(page).locator(".source-head").all_inner_texts():
        assert text.startswith("[") and "NVDA" in text, text
    expect(page.locator("#applied-filter")).to_contain_text("ticker = NVDA")
    # Vector-store search from the page honours the same filters and opens the viewer at the exact chunk.
    page.fill("#question", "data center revenue")
    page.click("#search")
    expect(page.locator("#timings")).to_contain_text("search")
    assert all("NVDA" in t for t in sources(page).locator(".source-head").all_inner_texts())
    sources(page).first.locator("button.source-open").click()
    expect(page.locator("#viewer mark.passage")).to_be_in_viewport()


def test_stop_ends_the_stream_and_the_upstream_sees_the_disconnect(
    page: Any, ui_gateway: Any, upstream: Any
) -> None:
    gateway = ui_gateway()
    upstream.control.set_timing(itl_ms=150)
    open_page(page, gateway.url)
    ask(page, "Describe Apple's risk factors in detail.")
    answer = page.locator(".turn.assistant .content").last
    expect(answer).to_contain_text("t3")
    page.click("#stop")
    expect(answer.locator(".stopped")).to_have_text("Stopped.")
    expect(page.locator(".turn.assistant.streaming")).to_have_count(0)
    expect(page.locator("#send")).to_be_enabled()
    deadline = time.monotonic() + 10
    while not upstream.control.stats()["disconnects"] and time.monotonic() < deadline:
        time.sleep(0.1)
    disconnects = upstream.control.stats()["disconnects"]
    assert disconnects and disconnects[0]["phase"] == "streaming"
    assert disconnects[0]["tokens_sent"] < 512
    assert "t511" not in answer.inner_text()


def test_a_wrong_key_shows_the_401_message(page: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway(api_keys="right-key")
    page.add_init_script("localStorage.setItem('sec-rag.api-key', 'wrong-key')")
    page.goto(gateway.url + "/")
    status = page.locator("#status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("refused the API key")
    # The right key, typed into the field, is stored and used.
    page.fill("#api-key", "right-key")
    page.press("#api-key", "Tab")
    expect(page.locator("#model option", has_text=MODEL)).to_have_count(1)
    expect(status).to_be_hidden()
    assert page.evaluate("localStorage.getItem('sec-rag.api-key')") == "right-key"
    page.select_option("#model", MODEL)
    ask(page, "What were Apple's total net sales?")
    expect(page.locator(".turn.assistant .content").last).to_contain_text("t7")


def test_a_503_shows_the_warm_up_message(page: Any, ui_gateway: Any, upstream: Any) -> None:
    gateway = ui_gateway(retries=1)
    open_page(page, gateway.url)
    upstream.control.set_faults(fail_next=50, fail_status=503, retry_after=7)
    ask(page, "What were Apple's total net sales?")
    status = page.locator("#status")
    expect(status).to_contain_text("warming up")
    expect(status).to_contain_text(re.compile(r"Try again in \d+ s"))
    expect(page.locator(".turn.assistant .error")).to_contain_text("warming up")
    expect(page.locator("#send")).to_be_enabled()


def test_a_mid_stream_failure_is_a_readable_message(page: Any, ui_gateway: Any, upstream: Any) -> None:
    gateway = ui_gateway()
    upstream.control.set_timing(itl_ms=20)
    upstream.control.set_faults(drop_after_tokens=5)
    open_page(page, gateway.url)
    ask(page, "What were Apple's total net sales?")
    expect(page.locator(".turn.assistant .error")).to_contain_text("interrupted")
    expect(page.locator("#status")).to_contain_text("interrupted")


def test_a_browser_following_a_content_link_lands_in_the_viewer(page: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway()
    files = page.request.get(gateway.base_url + "/vector_stores/sec-10k/files").json()["data"]
    nvda = next(f for f in files if f["attributes"]["ticker"] == "NVDA")
    page.goto(f"{gateway.base_url}/files/{nvda['id']}/content#page=3")
    expect(page.locator("#viewer")).to_have_attribute("data-file-id", nvda["id"])
    expect(page.locator("#viewer-title")).to_contain_text("NVDA")
    expect(page.locator("#viewer-body .doc-part").first).to_be_visible()
    expect(page.locator("#viewer-edgar")).to_have_attribute("href", re.compile(r"^https://www\.sec\.gov/"))


def test_narrow_layout_and_keyboard_use(browser: Any, ui_gateway: Any) -> None:
    gateway = ui_gateway()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        open_page(page, gateway.url, model=CITED_MODEL)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.focus("#question")
        page.keyboard.type("What were Apple's total net sales?")
        page.keyboard.press("Enter")
        expect(page.locator(".turn.assistant.streaming")).to_have_count(0)
        citation = page.locator(".turn.assistant a.cite").first
        citation.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#viewer")).to_be_visible()
        expect(page.locator("#viewer-title")).to_be_focused()
        box = page.locator("#viewer").bounding_box()
        assert box is not None and box["width"] <= 391
        expect(page.locator("#viewer mark.passage")).to_be_in_viewport()
        screenshot(page, "mobile-viewer")
        # Every form control has a label.
        unlabeled = page.evaluate(
            """[...document.querySelectorAll('input, select, textarea')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map(el => el.id)"""
        )
        assert unlabeled == []
    finally:
        context.close()
