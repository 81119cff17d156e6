"""The Responses API with file_search through the gateway to real vLLM, over real filings."""

from __future__ import annotations

from openai import OpenAI

QUESTION = "What were Apple's total net sales in fiscal year 2024?"
MAX_OUTPUT_TOKENS = 48
FILE_SEARCH = {
    "type": "file_search",
    "vector_store_ids": ["sec-10k"],
    "max_num_results": 3,
    "filters": {"type": "eq", "key": "ticker", "value": "AAPL"},
}


def test_file_search_response_streams_and_continues(client: OpenAI, served_model: str) -> None:
    with client.responses.stream(
        model=served_model,
        input=QUESTION,
        tools=[FILE_SEARCH],  # type: ignore[list-item]
        include=["file_search_call.results"],
        max_output_tokens=MAX_OUTPUT_TOKENS,
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response() if kinds[-1] == "response.completed" else None
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.output_text.delta" in kinds
    assert kinds[-1] in {"response.completed", "response.incomplete"}

    # Not streamed, continuing the first turn: vLLM answers from the same filings.
    first = final or client.responses.create(
        model=served_model,
        input=QUESTION,
        tools=[FILE_SEARCH],
        max_output_tokens=MAX_OUTPUT_TOKENS,  # type: ignore[list-item]
    )
    follow_up = client.responses.create(
        model=served_model,
        input="And in fiscal year 2022?",
        previous_response_id=first.id,
        tools=[FILE_SEARCH],  # type: ignore[list-item]
        include=["file_search_call.results"],
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )
    search, message = follow_up.output
    assert search.type == "file_search_call" and search.status == "completed"
    assert search.results and {r.attributes["ticker"] for r in search.results} == {"AAPL"}
    assert all(r.file_id and r.file_id.startswith("file-") for r in search.results)
    assert message.type == "message" and follow_up.output_text.strip()
    assert follow_up.usage is not None and follow_up.usage.input_tokens > 0
    assert follow_up.previous_response_id == first.id
    assert client.responses.retrieve(follow_up.id).output_text == follow_up.output_text
