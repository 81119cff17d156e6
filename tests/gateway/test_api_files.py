"""Files endpoints: the index's filings listed, described and served by id (never by path), same auth."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from retriever.file_ids import file_id

AAPL = "file-000032019324000123"


def _files(http: Any, base: str, **kw: Any) -> list[dict[str, Any]]:
    response = http.get(f"{base}/vector_stores/sec-10k/files", **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    return list(body["data"])


def test_list_has_one_file_per_filing_with_attributes(http: Any, gateway: Any, search_index: Any) -> None:
    files = _files(http, gateway.base_url)
    expected = {file_id(m) for m in search_index.store.metadata}
    assert {f["id"] for f in files} == expected
    aapl = next(f for f in files if f["attributes"]["ticker"] == "AAPL")
    assert aapl["object"] == "vector_store.file" and aapl["vector_store_id"] == "sec-10k"
    assert aapl["id"] == AAPL
    attrs = aapl["attributes"]
    assert attrs["company"] == "Apple Inc." and attrs["fiscal_year"] == 2024 and attrs["form"] == "10-K"
    assert attrs["edgar_url"].startswith("https://www.sec.gov/")
    assert attrs["format"] == "html" and attrs["chunks"] > 100


def test_file_object_and_store_file(client: openai.OpenAI) -> None:
    file = client.files.retrieve(AAPL)
    assert file.id == AAPL and file.object == "file" and file.filename == "AAPL_FY2024_10K.html"
    assert file.bytes > 100_000
    store_file = client.vector_stores.files.retrieve(AAPL, vector_store_id="sec-10k")
    assert store_file.status == "completed" and store_file.attributes["ticker"] == "AAPL"


def test_content_sections_hold_every_chunk_at_its_span(client: openai.OpenAI, search_index: Any) -> None:
    parts = list(client.vector_stores.files.content(AAPL, vector_store_id="sec-10k"))
    assert parts and all(p.type == "text" for p in parts)
    store = search_index.store
    chunk_ids = [i for i, m in enumerate(store.metadata) if file_id(m) == AAPL]
    seen = 0
    for part in parts:
        extra: dict[str, Any] = part.model_extra or {}
        for span in extra["chunks"]:
            offset = span["char_start"] - extra["char_start"]
            assert part.text[offset : offset + len(store.texts[span["id"]])] == store.texts[span["id"]]
            seen += 1
    assert seen == len(chunk_ids)


def test_content_of_one_item(http: Any, gateway: Any) -> None:
    response = http.get(
        f"{gateway.base_url}/vector_stores/sec-10k/files/{AAPL}/content", params={"item": "7"}
    )
    body = response.json()
    assert response.status_code == 200 and body["object"] == "vector_store.file_content.page"
    assert body["data"] and {p["item"] for p in body["data"]} == {"7"}
    assert "Management" in body["data"][0]["item_title"]


@pytest.mark.parametrize(
    "path",
    [
        "/files/file-doesnotexist",
        "/files/file-doesnotexist/content",
        "/vector_stores/sec-10k/files/file-doesnotexist",
        "/vector_stores/sec-10k/files/file-doesnotexist/content",
        "/files/..%2F..%2Fetc%2Fpasswd/content",
        "/vector_stores/other/files",
    ],
)
def test_unknown_ids_are_openai_404s(http: Any, gateway: Any, path: str) -> None:
    response = http.get(gateway.base_url + path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] in {
        "file_not_found",
        "vector_store_not_found",
        "not_found",
    }


def test_raw_content_is_the_indexed_text(http: Any, gateway: Any, search_index: Any) -> None:
    response = http.get(f"{gateway.base_url}/files/{AAPL}/content")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    first = next(i for i, m in enumerate(search_index.store.metadata) if file_id(m) == AAPL)
    assert search_index.store.texts[first] in response.text


def test_browser_links_to_content_go_to_the_viewer(http: Any, gateway: Any) -> None:
    response = http.get(
        f"{gateway.base_url}/files/{AAPL}/content",
        headers={"Accept": "text/html,*/*"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/ui/?file={AAPL}"


def test_files_need_the_key_when_keys_are_set(make_gateway: Any, http: Any) -> None:
    gw = make_gateway(api_keys="k1")
    for path in (
        "/vector_stores/sec-10k/files",
        f"/files/{AAPL}",
        f"/files/{AAPL}/content",
        f"/vector_stores/sec-10k/files/{AAPL}/content",
    ):
        assert http.get(gw.base_url + path).status_code == 401, path
        assert http.get(gw.base_url + path, headers={"Authorization": "Bearer k1"}).status_code == 200, path
