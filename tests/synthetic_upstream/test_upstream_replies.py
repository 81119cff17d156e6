"""Scripted replies: the upstream answers a given text, streamed in pieces, for a number of requests."""

from openai import AsyncOpenAI
from synthetic_upstream.replies import reply_tokens
from synthetic_upstream.testing import RunningUpstream

MODEL = "synthetic-test-model"
SCRIPT = 'Net sales were $391.0 billion [1], "flat" in 2024.'


def test_pieces_join_back_to_the_text() -> None:
    pieces = reply_tokens(SCRIPT)
    assert "".join(pieces) == SCRIPT
    assert {" $", "391", ".", "0", " [", "1", "]"} <= set(pieces)


async def test_scripted_reply_streams_and_completes(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_reply(SCRIPT, count=2)
    stream = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "q"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == SCRIPT
    assert chunks[-1].choices[0].finish_reason == "stop"
    full = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q"}])
    assert full.choices[0].message.content == SCRIPT
    # the script answered two requests; the next one is the checkable sequence again
    after = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q"}])
    assert after.choices[0].message.content.startswith("t0 t1")


async def test_max_tokens_cuts_a_scripted_reply(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_reply(SCRIPT)
    full = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "q"}], max_tokens=3
    )
    assert full.choices[0].message.content == "Net sales were"
    assert full.choices[0].finish_reason == "length"
    upstream.control.reset()
    again = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q"}])
    assert again.choices[0].message.content.startswith("t0")
