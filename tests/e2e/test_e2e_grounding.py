"""Annotations and grounding on real vLLM answers: the tiny model's text is unpredictable, so the checks are
structural and about consistency with whatever it wrote."""

from __future__ import annotations

import re
from typing import Any

from openai import OpenAI

QUESTION = "What were Apple's total net sales in fiscal year 2024? Cite the sources."
MAX_TOKENS = 48


def as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.model_dump()


def assert_consistent(
    content: str, annotations: list[Any], grounding: dict[str, Any], n_sources: int
) -> None:
    markers = [(m.start(), m.end(), int(m[1])) for m in re.finditer(r"\[(\d{1,3})\]", content)]
    known = [(start, end) for start, end, n in markers if 1 <= n <= n_sources]
    spans = []
    for annotation in map(as_dict, annotations):
        assert annotation["type"] == "url_citation"
        citation = annotation["url_citation"]
        marker = content[citation["start_index"] : citation["end_index"]]
        assert re.fullmatch(r"\[\d{1,3}\]", marker), marker  # every annotation points at a [n]
        assert citation["url"].startswith(("http://", "https://")) and citation["title"]
        spans.append((citation["start_index"], citation["end_index"]))
    assert spans == known  # one per marker naming a source, in order
    assert grounding["checked"] is True
    assert grounding["unknown_citations"] == list(
        dict.fromkeys(n for *_, n in markers if not 1 <= n <= n_sources)
    )
    for figure in grounding["figures"]:
        assert content[figure["start"] : figure["end"]] == figure["text"]
        assert set(figure["found_in"]) <= set(range(1, n_sources + 1))
    assert grounding["unsupported"] == [f["text"] for f in grounding["figures"] if not f["found_in"]]


def test_non_stream_answer_is_annotated_and_checked(client: OpenAI, served_model: str) -> None:
    reply = client.chat.completions.create(
        model=served_model, messages=[{"role": "user", "content": QUESTION}], max_tokens=MAX_TOKENS
    )
    message = reply.choices[0].message
    assert message.annotations is not None
    assert_consistent(
        message.content or "",
        message.annotations,
        reply.model_extra["grounding"],
        len(reply.model_extra["sources"]),
    )


def test_streamed_answer_ends_with_annotations_then_grounding(client: OpenAI, served_model: str) -> None:
    chunks = list(
        client.chat.completions.create(
            model=served_model,
            messages=[{"role": "user", "content": QUESTION}],
            max_tokens=MAX_TOKENS,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    sources = chunks[0].model_extra["sources"]
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    annotated = [
        i
        for i, c in enumerate(chunks)
        if c.choices and "annotations" in (c.choices[0].delta.model_extra or {})
    ]
    assert len(annotated) == 1
    last_content = max(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
    assert last_content < annotated[0] < len(chunks) - 2
    assert chunks[-2].usage is not None and chunks[-1].choices == []
    assert_consistent(
        content,
        chunks[annotated[0]].choices[0].delta.model_extra["annotations"],
        chunks[-1].model_extra["grounding"],
        len(sources),
    )
