"""Fixtures for the warm-up Lambda: moto ECS/ELBv2, a loopback health server, sample events."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from warmup.config import ModelTarget, WarmupConfig

REGION = "us-east-1"
CLUSTER = "rag-test"
SERVICE = "vllm-llama"
EVENTS_DIR = Path(__file__).resolve().parents[2] / "lambdas" / "warmup" / "events"


@dataclass
class HealthServer:
    """A loopback HTTP server whose /health status the test controls."""

    url: str
    status: int = 503
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def health_server() -> Iterator[HealthServer]:
    """Serve GET /health on 127.0.0.1 with a status the test can flip."""
    state = HealthServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            code = state.status if self.path == "/health" else 404
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep pytest output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/health"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class AwsWorld:
    """moto-backed clients plus the ARNs of the vLLM service under test."""

    ecs: Any
    elbv2: Any
    target_group_arn: str
    update_calls: list[dict[str, Any]]

    def register_task_ip(self, ip: str) -> None:
        """What the ECS agent does when a task passes its container health check: join the target group."""
        self.elbv2.register_targets(TargetGroupArn=self.target_group_arn, Targets=[{"Id": ip, "Port": 8000}])

    def desired(self) -> int:
        """Current desiredCount of the service."""
        svc = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        return int(svc["desiredCount"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsWorld]:
    """An ECS cluster with one EC2 service at desiredCount 0 and an empty IP target group, in moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        ecs = boto3.client("ecs", region_name=REGION)
        elbv2 = boto3.client("elbv2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        tg = elbv2.create_target_group(
            Name="vllm-llama",
            Protocol="HTTP",
            Port=8000,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/health",
        )["TargetGroups"][0]["TargetGroupArn"]
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="vllm-llama",
            networkMode="awsvpc",
            containerDefinitions=[{"name": "vllm", "image": "vllm/vllm-openai:v0.8.5", "memory": 512}],
        )
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="vllm-llama", desiredCount=0)
        calls: list[dict[str, Any]] = []
        ecs.meta.events.register(
            "provide-client-params.ecs.UpdateService", lambda params, **_: calls.append(dict(params))
        )
        yield AwsWorld(ecs=ecs, elbv2=elbv2, target_group_arn=tg, update_calls=calls)


@pytest.fixture
def cfg(aws: AwsWorld, health_server: HealthServer) -> WarmupConfig:
    """Config pointing at the moto service and the loopback health server, with fast polling."""
    return WarmupConfig(
        cluster=CLUSTER,
        targets={"llama": ModelTarget(SERVICE, aws.target_group_arn, health_server.url)},
        default_count=1,
        poll_seconds=0.05,
        http_timeout_seconds=1.0,
    )


@pytest.fixture
def load_event() -> Callable[[str], Any]:
    """Loader for the sample events shipped beside the Lambda."""
    return lambda name: json.loads((EVENTS_DIR / name).read_text())
