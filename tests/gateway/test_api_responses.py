"""POST /v1/responses through the official SDK: file_search over the index, citations, usage, store."""

import openai
import pytest
from conftest import MODEL

QUESTION = "What does NVIDIA say about data center revenue?"
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["sec-10k"]}
CITED = "Data center revenue grew strongly [1], driven by demand [2]."


def system_prompt(upstream) -> str:
    messages = upstream.control.last_request()["messages"]
    assert messages[0]["role"] == "system"
    return messages[0]["content"]


def test_without_tools_answers_with_no_retrieval(client, upstream):
    upstream.control.set_reply("Hello there.", count=1)
    response = client.responses.create(model=MODEL, input="Say hi.", max_output_tokens=30)
    assert response.object == "response" and response.status == "completed"
    assert response.id.startswith("resp_")
    assert [item.type for item in response.output] == ["message"]
    assert response.output_text == "Hello there."
    assert response.output[0].content[0].annotations == []
    assert response.model_extra.get("grounding") is None  # no sources: nothing to check against
    assert response.usage.output_tokens > 0 and response.usage.input_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    sent = upstream.control.last_request()
    assert sent["messages"] == [{"role": "user", "content": "Say hi."}]  # no sources, no RAG prompt
    assert sent["max_tokens"] == 30


def test_max_output_tokens_reached_is_incomplete(client):
    response = client.responses.create(model=MODEL, input="Say hi.", max_output_tokens=4)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete" and response.output_text == "t0 t1 t2 t3"
    assert response.usage.output_tokens == 4


def test_file_search_with_include_lists_results_and_cites_files(client, upstream):
    upstream.control.set_reply(CITED, count=1)
    response = client.responses.create(
        model=MODEL,
        input=QUESTION,
        instructions="Answer briefly.",
        tools=[{**FILE_SEARCH, "max_num_results": 3}],
        include=["file_search_call.results"],
    )
    search, message = response.output
    assert search.type == "file_search_call" and search.status == "completed"
    assert search.id.startswith("fs_") and search.queries == [QUESTION]
    assert 1 <= len(search.results) <= 3
    first = search.results[0]
    assert first.file_id.startswith("file-") and first.filename and first.text and first.score > 0
    assert first.attributes["ticker"] == "NVDA"
    assert response.output_text == CITED
    annotations = message.content[0].annotations
    assert [a.type for a in annotations] == ["file_citation", "file_citation"]
    assert annotations[0].file_id == search.results[0].file_id
    assert annotations[0].filename == search.results[0].filename
    assert annotations[0].index == CITED.index("[1]")
    assert annotations[1].file_id == search.results[1].file_id
    prompt = system_prompt(upstream)  # chat's fenced prompt, the instructions after the gateway's
    assert "<<<SOURCE [1]" in prompt and "Answer briefly." in prompt
    assert response.model_extra["grounding"]["checked"] is True
    assert response.tools[0].vector_store_ids == ["sec-10k"]


def test_file_search_without_include_has_no_results(client, upstream):
    response = client.responses.create(model=MODEL, input=QUESTION, tools=[FILE_SEARCH])
    search = response.output[0]
    assert search.type == "file_search_call" and search.results is None
    assert "<<<SOURCE [1]" in system_prompt(upstream)


@pytest.mark.parametrize("ticker", ["AAPL", "NVDA"])
def test_filter_narrows_the_results(client, ticker):
    response = client.responses.create(
        model=MODEL,
        input="revenue and risk factors",
        tools=[
            {**FILE_SEARCH, "max_num_results": 8, "filters": {"type": "eq", "key": "ticker", "value": ticker}}
        ],
        include=["file_search_call.results"],
    )
    results = response.output[0].results
    assert results and {r.attributes["ticker"] for r in results} == {ticker}


def test_score_threshold_drops_weak_results(client):
    response = client.responses.create(
        model=MODEL,
        input=QUESTION,
        tools=[{**FILE_SEARCH, "ranking_options": {"score_threshold": 1.0}}],
        include=["file_search_call.results"],
    )
    assert response.output[0].results == []


def test_previous_response_id_carries_the_earlier_turn(client, upstream):
    upstream.control.set_reply("NVIDIA's data center revenue rose [1].", count=1)
    first = client.responses.create(
        model=MODEL, input=QUESTION, instructions="Be terse.", tools=[FILE_SEARCH]
    )
    second = client.responses.create(
        model=MODEL, input="And what about gaming?", previous_response_id=first.id, tools=[FILE_SEARCH]
    )
    assert second.previous_response_id == first.id
    messages = upstream.control.last_request()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == QUESTION
    assert messages[2]["content"] == "NVIDIA's data center revenue rose [1]."
    assert messages[3]["content"] == "And what about gaming?"
    assert "Be terse." not in messages[0]["content"]  # OpenAI: instructions are not carried over


def test_input_items_keep_their_roles(client, upstream):
    client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "Who audits Apple?"},
            {
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Ernst & Young.", "annotations": []}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Since when?"}]},
        ],
    )
    messages = upstream.control.last_request()["messages"]
    assert messages == [
        {"role": "user", "content": "Who audits Apple?"},
        {"role": "assistant", "content": "Ernst & Young."},
        {"role": "user", "content": "Since when?"},
    ]


def test_stored_response_can_be_retrieved_and_deleted(client):
    created = client.responses.create(model=MODEL, input="hi", metadata={"run": "7"})
    fetched = client.responses.retrieve(created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text
    assert fetched.metadata == {"run": "7"}
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(created.id)
    assert caught.value.body["code"] == "response_not_found"


def test_store_false_keeps_nothing(client):
    created = client.responses.create(model=MODEL, input="hi", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=MODEL, input="more", previous_response_id=created.id)
    assert caught.value.body["param"] == "previous_response_id"


def test_headers_match_chat(client):
    raw = client.responses.with_raw_response.create(
        model=MODEL, input=QUESTION, tools=[FILE_SEARCH], extra_headers={"X-Request-ID": "resp-test-1"}
    )
    assert raw.headers["x-request-id"] == "resp-test-1"
    assert raw.headers["x-rag-index-version"]
    assert all(
        part in raw.headers["server-timing"] for part in ("embed;dur=", "search;dur=", "upstream;dur=")
    )


@pytest.mark.parametrize(
    ("tools", "param"),
    [
        ([{"type": "web_search"}], "tools[0].type"),
        ([{"type": "function", "name": "f", "parameters": {}}], "tools[0].type"),
        ([{"type": "file_search"}], "tools[0].vector_store_ids"),
        ([{**FILE_SEARCH, "max_num_results": 0}], "tools[0].max_num_results"),
        (
            [{**FILE_SEARCH, "ranking_options": {"score_threshold": 2}}],
            "tools[0].ranking_options.score_threshold",
        ),
        ([{**FILE_SEARCH, "filters": {"type": "like", "key": "ticker", "value": "A"}}], "tools[0].filters"),
        ([{**FILE_SEARCH, "filters": {"type": "and", "filters": "x"}}], "tools[0].filters"),
    ],
)
def test_bad_tools_and_filters_are_openai_shaped_400s(client, upstream, tools, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=QUESTION, tools=tools)
    error = caught.value.body
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"].startswith(param)
    assert upstream.control.stats()["requests"] == []  # refused before the upstream


def test_unknown_vector_store_is_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(
            model=MODEL, input=QUESTION, tools=[{"type": "file_search", "vector_store_ids": ["vs_other"]}]
        )
    assert caught.value.body["param"] == "tools[0].vector_store_ids[0]"
    assert caught.value.body["code"] == "vector_store_not_found"


def test_unsupported_input_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL,
            input=[{"role": "user", "content": [{"type": "input_image", "image_url": "http://x/y.png"}]}],
        )
    assert caught.value.body["param"] == "input[0].content[0]"
