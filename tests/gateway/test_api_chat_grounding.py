"""Citations as `url_citation` annotations and the figure check (`grounding`), through the official SDK.

The synthetic upstream answers a scripted text built from the passages the gateway actually retrieved, so
one figure is in source [1] (a table number in millions, restated in billions) and one is in no source.
"""

from __future__ import annotations

import json
import re
from typing import Any

import openai
import pytest
from conftest import MODEL

QUESTION = "What were Apple's total net sales in fiscal 2024? Was it more than $300 billion?"
RAG = {"max_num_results": 3, "filters": {"type": "eq", "key": "ticker", "value": "AAPL"}}
UNSUPPORTED = "$987.6 billion"
# A number of at least four digits with thousands separators, as statement tables print amounts.
_TABLE_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")


def scripted_answer(client: openai.OpenAI, upstream: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """The sources the question retrieves, and an answer citing them: one supported figure, one not."""
    probe = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], max_tokens=1, extra_body={"rag": RAG}
    )
    sources = probe.model_extra["sources"]
    # The first source holding a table amount becomes [1]: the answer's citations name only it.
    holder, number = next(
        (s, m[0]) for s in sources for m in _TABLE_NUMBER.finditer(s["text"]) if len(m[0]) >= 5
    )
    sources = [holder, *(s for s in sources if s is not holder)]
    # "391,035" in a table in millions is "$391.0 billion" in prose: the scale rule, not digit equality.
    billions = f"${int(number.replace(',', '')) / 1000:.1f} billion"
    answer = (
        f"Total net sales were {billions} [{holder['index']}], more than $300 billion. "
        f"Another figure, {UNSUPPORTED}, is made up [{holder['index']}]. See also [9]."
    )
    upstream.control.set_reply(answer)
    return answer, billions, sources


def assert_annotations(content: str, annotations: list[Any], sources: list[dict[str, Any]]) -> None:
    cited = [m for m in re.finditer(r"\[(\d+)\]", content) if int(m[1]) <= len(sources)]
    assert len(annotations) == len(cited) == 2  # [9] names no source: no annotation
    source = sources[0]
    for annotation, marker in zip(annotations, cited, strict=True):
        citation = annotation["url_citation"] if isinstance(annotation, dict) else annotation.url_citation
        citation = citation if isinstance(citation, dict) else citation.model_dump()
        assert content[citation["start_index"] : citation["end_index"]] == marker[0] == f"[{source['index']}]"
        page = f"#page={source['page']}" if source["page"] is not None else ""
        assert citation["url"] == source["url"] + page  # EDGAR; without one: the last test
        assert citation["title"].startswith(f"AAPL 10-K FY{source['fiscal_year']}")
        assert (f"p. {source['page']}" in citation["title"]) == (source["page"] is not None)


def assert_grounding(grounding: dict[str, Any], answer: str, supported: str, n: int) -> None:
    assert grounding["checked"] is True
    by_text = {f["text"]: f for f in grounding["figures"]}
    assert set(by_text) == {supported, UNSUPPORTED}  # "$300 billion" is the user's own number
    assert n in by_text[supported]["found_in"]
    assert by_text[supported]["cited"] == [n]
    assert by_text[UNSUPPORTED]["found_in"] == [] and by_text[UNSUPPORTED]["cited"] == [n]
    assert by_text[UNSUPPORTED]["value"] == 987_600_000_000
    for figure in grounding["figures"]:
        assert answer[figure["start"] : figure["end"]] == figure["text"]
    assert grounding["unsupported"] == [UNSUPPORTED]
    assert grounding["unknown_citations"] == [9]


def test_non_stream_annotations_and_grounding(client, upstream):
    answer, supported, sources = scripted_answer(client, upstream)
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
    )
    message = completion.choices[0].message
    assert message.content == answer
    assert all(a.type == "url_citation" for a in message.annotations)  # parsed by the SDK's own model
    assert_annotations(message.content, message.annotations, sources)
    assert_grounding(completion.model_extra["grounding"], answer, supported, sources[0]["index"])


def test_stream_annotations_after_content_and_grounding_last(client, upstream):
    answer, supported, sources = scripted_answer(client, upstream)
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"rag": RAG},
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == answer
    with_annotations = [
        i for i, c in enumerate(chunks) if c.choices and "annotations" in c.choices[0].delta.model_extra
    ]
    assert len(with_annotations) == 1  # once
    at = with_annotations[0]
    last_content = max(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
    assert last_content < at
    assert_annotations(content, chunks[at].choices[0].delta.model_extra["annotations"], sources)
    usage, final = chunks[-2], chunks[-1]
    assert at < len(chunks) - 2 and usage.usage is not None and usage.choices == []
    assert final.choices == [] and final.usage is None
    assert_grounding(final.model_extra["grounding"], answer, supported, sources[0]["index"])


def test_stream_without_usage_still_ends_with_grounding_before_done(gateway, upstream, client, http):
    answer, supported, sources = scripted_answer(client, upstream)
    body = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}], "stream": True, "rag": RAG}
    with http.stream("POST", gateway.base_url + "/chat/completions", json=body) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    final = json.loads(events[-2])
    assert final["choices"] == [] and not final.get("usage")
    assert_grounding(final["grounding"], answer, supported, sources[0]["index"])
    assert "annotations" in json.loads(events[-3])["choices"][0]["delta"]


def test_grounding_off_per_request_and_per_deployment(client, upstream, make_gateway):
    answer, _, _ = scripted_answer(client, upstream)
    off = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": QUESTION}],
        extra_body={"rag": {**RAG, "grounding": "off"}},
    )
    assert off.model_extra["grounding"] == {
        "figures": [],
        "unsupported": [],
        "unknown_citations": [9],
        "checked": False,
    }
    assert len(off.choices[0].message.annotations) == 2  # citations do not depend on the figure check

    quiet = make_gateway(grounding="off")
    with openai.OpenAI(base_url=quiet.base_url, api_key="x", max_retries=0) as sdk:
        by_default = sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
        )
        asked = sdk.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"rag": {**RAG, "grounding": "flag"}},
        )
    assert by_default.model_extra["grounding"]["checked"] is False
    assert asked.model_extra["grounding"]["unsupported"] == [UNSUPPORTED]
    assert answer == asked.choices[0].message.content


def test_unsupported_answers_are_counted(client, upstream, gateway, http):
    def count() -> float:
        text = http.get(gateway.url + "/metrics").text
        line = f'rag_gateway_unsupported_figure_answers_total{{model="{MODEL}"}} '
        found = [float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line)]
        return found[0] if found else 0.0

    before = count()
    scripted_answer(client, upstream)
    client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
    )
    upstream.control.set_reply("Nothing to check here [1].")
    client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
    )
    assert count() == before + 1


def test_without_rag_figures_are_unsupported_and_nothing_is_annotated(client, upstream):
    upstream.control.set_reply("Revenue was $391.0 billion [1].")
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], extra_body={"rag": {"enabled": False}}
    )
    assert completion.choices[0].message.annotations is None
    grounding = completion.model_extra["grounding"]
    assert grounding["unsupported"] == ["$391.0 billion"] and grounding["unknown_citations"] == [1]


def test_a_failing_check_leaves_the_answer_intact(client, upstream, monkeypatch):
    from gateway.chat import grounded

    def broken(*args: Any) -> Any:
        raise RuntimeError("bug in the figure check")

    monkeypatch.setattr(grounded, "check_figures", broken)
    upstream.control.set_reply("Revenue was $1.0 billion [1].")
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
    )
    assert completion.choices[0].message.content == "Revenue was $1.0 billion [1]."
    assert completion.model_extra["grounding"]["checked"] is False
    assert "bug in the figure check" not in completion.model_dump_json()


@pytest.mark.parametrize("value", ["strict", 1])
def test_bad_grounding_mode_is_a_400_naming_the_field(client, value):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], extra_body={"rag": {"grounding": value}}
        )
    assert caught.value.body["type"] == "invalid_request_error"
    assert caught.value.body["param"] == "rag.grounding"


def test_a_filing_without_edgar_url_is_cited_by_the_gateways_own_file_url(
    client, upstream, gateway, monkeypatch
):
    from gateway.chat.protocol import Source

    # Most local filings have no EDGAR URL; the two in the test index do, so drop theirs.
    original = Source.from_hit.__func__

    def without_url(cls: type[Source], number: int, hit: Any) -> Source:
        return original(cls, number, hit).model_copy(update={"url": None})

    monkeypatch.setattr(Source, "from_hit", classmethod(without_url))
    upstream.control.set_reply("Net sales rose [1].")
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], extra_body={"rag": RAG}
    )
    source = completion.model_extra["sources"][0]
    (annotation,) = completion.choices[0].message.annotations
    page = f"#page={source['page']}" if source["page"] is not None else ""
    assert source["url"] is None and source["file_id"].startswith("file-")
    assert annotation.url_citation.url == f"{gateway.url}/v1/files/{source['file_id']}/content{page}"
