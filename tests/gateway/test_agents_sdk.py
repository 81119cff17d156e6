"""The OpenAI Agents SDK's FileSearchTool against the gateway: one agent turn with cited output.

openai-agents is an optional test dependency (it pins its own openai/pydantic ranges); without it the test
is skipped rather than forcing it into the venv.
"""

import openai
import pytest
from conftest import MODEL

agents = pytest.importorskip("agents")

CITED = "NVIDIA's data center revenue grew [1]."


async def test_agent_turn_with_file_search_returns_cited_output(gateway, upstream):
    upstream.control.set_reply(CITED, count=1)
    agents.set_tracing_disabled(True)
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as client:
        agent = agents.Agent(
            name="filings analyst",
            instructions="Answer from the 10-K filings and cite them.",
            model=agents.OpenAIResponsesModel(model=MODEL, openai_client=client),
            tools=[
                agents.FileSearchTool(
                    vector_store_ids=["sec-10k"], max_num_results=3, include_search_results=True
                )
            ],
        )
        result = await agents.Runner.run(agent, "What does NVIDIA say about data center revenue?")
    assert result.final_output == CITED
    messages = [item for item in result.new_items if item.type == "message_output_item"]
    annotations = messages[-1].raw_item.content[0].annotations
    assert annotations and annotations[0].type == "file_citation"
    assert annotations[0].file_id.startswith("file-")
    searches = [item for item in result.new_items if getattr(item.raw_item, "type", "") == "file_search_call"]
    assert searches and searches[0].raw_item.results
