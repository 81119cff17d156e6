"""warm()/sleep() against moto ECS + ELBv2 and a real loopback health server."""

import time

import pytest
from warmup.config import WarmupConfig
from warmup.events import Action, WarmupEvent
from warmup.health import urllib_probe
from warmup.logic import Status, WarmupError, WarmupTimeoutError, sleep, warm

pytestmark = pytest.mark.infra


class Budget:
    """A wall-clock deadline of a few seconds, standing in for the Lambda context."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()


WARM = WarmupEvent(action=Action.WARM, models=("llama",), count=1)


def test_already_warm_is_ready_without_scaling(aws, health_server, cfg: WarmupConfig):
    aws.ecs.update_service(cluster="rag-test", service="vllm-llama", desiredCount=1)
    aws.register_task_ip("10.0.1.10")
    health_server.status = 200
    aws.update_calls.clear()

    result = warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(5), WARM)

    assert result.status is Status.READY
    assert aws.update_calls == []
    assert result.models["llama"].running == 1
    assert result.models["llama"].healthy_targets == 1
    assert result.models["llama"].health_ok is True


def test_warm_never_lowers_a_larger_desired_count(aws, health_server, cfg: WarmupConfig):
    aws.ecs.update_service(cluster="rag-test", service="vllm-llama", desiredCount=3)
    for i in range(3):
        aws.register_task_ip(f"10.0.1.{10 + i}")
    health_server.status = 200
    aws.update_calls.clear()

    result = warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(5), WARM)

    assert result.status is Status.READY
    assert aws.desired() == 3
    assert aws.update_calls == []


def test_cold_to_warm_waits_for_targets_and_health(aws, health_server, cfg: WarmupConfig):
    # moto flips runningCount to desiredCount on UpdateService and never starts containers, so the
    # sleeper plays the ECS agent: first the task joins the target group, then vLLM finishes loading.
    steps = [lambda: aws.register_task_ip("10.0.1.20"), lambda: setattr(health_server, "status", 200)]
    polls: list[float] = []

    def agent(seconds: float) -> None:
        polls.append(seconds)
        if steps:
            steps.pop(0)()

    result = warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(5), WARM, sleeper=agent)

    assert result.status is Status.READY
    assert [c["desiredCount"] for c in aws.update_calls] == [1]
    assert len(polls) == 2
    assert health_server.hits.count("/health") == 3


def test_never_healthy_times_out_with_an_error(aws, health_server, cfg: WarmupConfig):
    aws.register_task_ip("10.0.1.30")
    health_server.status = 503

    started = time.monotonic()
    with pytest.raises(WarmupTimeoutError, match="llama"):
        warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(0.5), WARM)

    assert time.monotonic() - started < 3
    assert aws.desired() == 1


def test_no_registered_targets_is_not_ready_even_if_health_answers(aws, health_server, cfg: WarmupConfig):
    health_server.status = 200
    with pytest.raises(WarmupTimeoutError, match="healthy_targets=0"):
        warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(0.3), WARM)


def test_no_wait_reports_warming_not_ready(aws, health_server, cfg: WarmupConfig):
    event = WarmupEvent(action=Action.WARM, models=("llama",), count=1, wait=False)
    result = warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(5), event)
    assert result.status is Status.WARMING
    assert aws.desired() == 1


def test_sleep_scales_to_zero_and_is_idempotent(aws, cfg: WarmupConfig):
    aws.ecs.update_service(cluster="rag-test", service="vllm-llama", desiredCount=2)
    aws.update_calls.clear()
    event = WarmupEvent(action=Action.SLEEP, models=("llama",))

    first = sleep(aws.ecs, cfg, event)
    second = sleep(aws.ecs, cfg, event)

    assert first.status is second.status is Status.ASLEEP
    assert aws.desired() == 0
    assert [c["desiredCount"] for c in aws.update_calls] == [0]
    assert first.to_dict()["models"]["llama"]["desired"] == 0


def test_missing_service_raises(aws, health_server):
    from warmup.config import ModelTarget

    cfg = WarmupConfig(cluster="rag-test", targets={"ghost": ModelTarget("no-such-service", "arn:tg")})
    event = WarmupEvent(action=Action.WARM, models=("ghost",))
    with pytest.raises(WarmupError, match="no-such-service"):
        warm(aws.ecs, aws.elbv2, urllib_probe, cfg, Budget(1), event)


def test_urllib_probe_reports_status_and_refusal(health_server):
    health_server.status = 200
    assert urllib_probe(health_server.url, 1.0) == 200
    health_server.status = 503
    assert urllib_probe(health_server.url, 1.0) == 503
    dead = health_server.url.rsplit(":", 1)[0] + ":1/health"
    with pytest.raises(OSError):
        urllib_probe(dead, 1.0)
    with pytest.raises(ValueError, match="http"):
        urllib_probe("file:///etc/passwd", 1.0)
