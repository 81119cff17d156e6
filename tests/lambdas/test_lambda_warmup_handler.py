"""The Lambda handler end to end with sample events, moto and the loopback health server."""

import json
import time
from typing import Any

import pytest
from warmup import handler
from warmup.config import ConfigError, WarmupConfig
from warmup.events import BadEventError
from warmup.logic import WarmupTimeoutError

pytestmark = pytest.mark.infra


class FakeContext:
    """The one Lambda context method the handler uses, counting down in real time."""

    def __init__(self, millis: int) -> None:
        self._end = time.monotonic() + millis / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)


@pytest.fixture
def lambda_env(aws, health_server, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Environment as Terraform sets it, with module-level caches reset around the test."""
    targets = {
        "llama": {
            "service": "vllm-llama",
            "target_group_arn": aws.target_group_arn,
            "health_url": health_server.url,
        }
    }
    monkeypatch.setenv("WARMUP_CLUSTER", "rag-test")
    monkeypatch.setenv("WARMUP_TARGETS", json.dumps(targets))
    monkeypatch.setenv("WARMUP_POLL_SECONDS", "0.05")
    handler.config.cache_clear()
    handler.clients.cache_clear()
    yield aws
    handler.config.cache_clear()
    handler.clients.cache_clear()


def test_handler_warm_then_sleep(load_event, lambda_env, health_server):
    lambda_env.register_task_ip("10.0.2.10")
    health_server.status = 200

    warm_result = handler.lambda_handler(load_event("warm.json"), FakeContext(60_000))
    desired_after_warm = lambda_env.desired()
    sleep_result = handler.lambda_handler(load_event("sleep.json"), FakeContext(60_000))

    assert warm_result["status"] == "READY"
    llama = warm_result["models"]["llama"]
    assert (llama["desired"], llama["running"], llama["healthy_targets"], llama["health_ok"]) == (
        1,
        1,
        1,
        True,
    )
    assert desired_after_warm == 1
    assert sleep_result["status"] == "ASLEEP"
    assert sleep_result["models"]["llama"]["desired"] == 0
    assert lambda_env.desired() == 0


def test_handler_accepts_the_gateway_hook_payload(load_event, lambda_env, health_server):
    # services/gateway/src/gateway/upstream/warmup.py sends exactly this; it means "warm everything".
    lambda_env.register_task_ip("10.0.2.11")
    health_server.status = 200
    result = handler.lambda_handler(load_event("gateway_hook.json"), FakeContext(60_000))
    assert result["status"] == "READY"
    assert lambda_env.desired() == 1


def test_handler_no_wait_event_returns_warming(load_event, lambda_env):
    result = handler.lambda_handler(load_event("warm_no_wait.json"), FakeContext(60_000))
    assert result["status"] == "WARMING"


def test_handler_times_out_within_remaining_lambda_time(load_event, lambda_env, health_server):
    health_server.status = 503
    # 5.3 s remaining minus the 5 s safety margin leaves a 0.3 s budget.
    with pytest.raises(WarmupTimeoutError):
        handler.lambda_handler(load_event("warm.json"), FakeContext(5_300))


@pytest.mark.parametrize(
    "event",
    [
        "bad_action.json",
        "bad_count.json",
        {"action": "warm", "models": ["not-deployed"]},
        {"action": "warm", "count": True},
        {"action": "warm", "surprise": 1},
        {"source": 42},
        ["warm"],
    ],
)
def test_bad_event_raises_and_changes_nothing(lambda_env, load_event, event: Any):
    if isinstance(event, str):
        event = load_event(event)
    with pytest.raises(BadEventError):
        handler.lambda_handler(event, FakeContext(60_000))
    assert lambda_env.update_calls == []
    assert lambda_env.desired() == 0


def test_config_names_the_missing_key():
    with pytest.raises(ConfigError, match="WARMUP_CLUSTER"):
        WarmupConfig.from_env({"WARMUP_TARGETS": "{}"})
    with pytest.raises(ConfigError, match="WARMUP_TARGETS"):
        WarmupConfig.from_env({"WARMUP_CLUSTER": "c", "WARMUP_TARGETS": "[1]"})
