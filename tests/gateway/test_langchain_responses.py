"""LangChain's ChatOpenAI(use_responses_api=True) with the file_search tool against the gateway.

The fallback the issue names because openai-agents cannot join the venv (0.24 pins websockets<17; uvicorn's
standard extra brings 17.x). langchain-openai is a dev requirement, so this runs in every `make test`.
"""

import langchain_openai
from conftest import MODEL

CITED = "Apple's net sales were reported in the filing [1]."


def test_chat_openai_responses_api_returns_cited_output(gateway, upstream):
    upstream.control.set_reply(CITED, count=1)
    llm = langchain_openai.ChatOpenAI(
        model=MODEL, base_url=gateway.base_url, api_key="x", use_responses_api=True, max_retries=0
    )
    tool = {"type": "file_search", "vector_store_ids": ["sec-10k"], "max_num_results": 3}
    message = llm.bind_tools([tool]).invoke("What were Apple's total net sales in fiscal 2024?")
    assert message.text == CITED if isinstance(message.text, str) else message.text() == CITED
    blocks = [b for b in message.content if isinstance(b, dict) and b.get("annotations")]
    annotation = blocks[0]["annotations"][0]
    assert annotation["type"] in {"file_citation", "citation"}
    assert (annotation.get("file_id") or annotation.get("extras", {}).get("file_id", "")).startswith("file-")
