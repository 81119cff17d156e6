"""Warm-up hook: a boto3 Lambda Event invoke, at most once per cooldown."""

import asyncio
import json
from types import SimpleNamespace

import boto3
from botocore.stub import Stubber
from gateway.upstream.warmup import WarmupHook, lambda_invoker


async def test_lambda_is_invoked_once_per_cooldown():
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": "warm-vllm",
            "InvocationType": "Event",
            "Payload": json.dumps({"source": "rag-gateway", "reason": "upstream_unavailable"}).encode(),
        },
    )
    with stubber:
        hook = WarmupHook(lambda_invoker("warm-vllm", "us-east-1", client=client), cooldown=60)
        assert hook.trigger("connect") is True
        assert hook.trigger("connect") is False
        for _ in range(50):
            if not hook._tasks:
                break
            await asyncio.sleep(0.02)
        stubber.assert_no_pending_responses()
    assert hook.fired == 1


def test_disabled_hook_does_nothing():
    assert WarmupHook(None, cooldown=0).trigger("connect") is False


async def test_hook_fires_again_once_the_cooldown_has_passed(monkeypatch):
    from gateway.upstream import warmup

    now = [1000.0]
    monkeypatch.setattr(warmup, "time", SimpleNamespace(monotonic=lambda: now[0]))  # this module's clock only
    calls = []
    hook = WarmupHook(lambda: calls.append("invoked"), cooldown=60)

    assert hook.trigger("connect") is True
    now[0] += 59.9
    assert hook.trigger("connect") is False  # still inside the window
    now[0] += 0.1
    assert hook.trigger("connect") is True  # 60 s after the first call
    assert hook.trigger("connect") is False  # and the window restarts from there
    await asyncio.gather(*hook._tasks)
    assert hook.fired == 2
    assert calls == ["invoked", "invoked"]
