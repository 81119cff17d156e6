"""Killing vLLM turns requests into 503 with Retry-After; starting it again brings answers back."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

RECOVERY_TIMEOUT_S = 60


def ask(client: OpenAI, model: str, *, stream: bool = False) -> str:
    """One short question; the answer text."""
    messages = [{"role": "user", "content": "What does Microsoft sell?"}]
    if stream:
        chunks = client.chat.completions.create(model=model, messages=messages, max_tokens=8, stream=True)
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    reply = client.chat.completions.create(model=model, messages=messages, max_tokens=8)
    return reply.choices[0].message.content or ""


def assert_unavailable(error: openai.APIStatusError) -> None:
    assert error.status_code == 503
    assert int(error.response.headers["retry-after"]) >= 1
    body = error.response.json()["error"]
    assert set(body) >= {"message", "type", "param", "code"}
    assert "Traceback" not in body["message"]


def test_killed_vllm_gives_503_with_retry_after_and_restart_recovers(
    stop_vllm: Callable[[], None], start_vllm: Callable[[], None], client: OpenAI, served_model: str
) -> None:
    assert ask(client, served_model)

    stop_vllm()
    try:
        with pytest.raises(openai.APIStatusError) as plain:
            ask(client, served_model)
        assert_unavailable(plain.value)
        with pytest.raises(openai.APIStatusError) as streamed:
            ask(client, served_model, stream=True)
        assert_unavailable(streamed.value)
    finally:
        start_vllm()

    # start-vllm returns once vLLM is healthy; the gateway may still hold a cached "down" for a moment.
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while True:
        try:
            answer = ask(client, served_model, stream=True)
            break
        except openai.APIStatusError as error:
            assert error.status_code == 503
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert answer.strip()
