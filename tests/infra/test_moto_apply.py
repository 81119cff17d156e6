"""terraform apply + destroy of envs/prod against a moto server on loopback, reading the outputs back."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from tfkit import REPO, Terraform

pytestmark = [pytest.mark.infra, pytest.mark.slow]

REGION = "us-east-1"
# Written into moto's Secrets Manager; must never show up in Terraform state or task definitions.
SECRET_SENTINEL = "sentinel-value-that-must-not-leak-7f3a"

# Every service the stack touches; the provider must not reach real AWS for any of them.
ENDPOINT_KEYS = [
    "acm",
    "appautoscaling",
    "autoscaling",
    "cloudwatch",
    "ec2",
    "ecs",
    "elbv2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "sfn",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
]


def _override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {key} = "{endpoint}"' for key in ENDPOINT_KEYS)
    return f"""
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""


def _aws(endpoint: str, service: str):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def applied(terraform: Terraform, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory):
    """envs/prod applied to moto with autoscaling gated off; destroyed (and checked empty) afterwards."""
    scratch = tmp_path_factory.mktemp("prod-moto")
    # Its own copy: the override and state must not leak into the fmt/validate checks' copy.
    shutil.copytree(
        terraform.workdir, scratch / "terraform", ignore=shutil.ignore_patterns(".terraform", ".data")
    )
    root = scratch / "terraform" / "envs" / "prod"
    data_dir = scratch / "tf-data"
    (root / "moto_override.tf").write_text(_override(moto_endpoint))

    package = scratch / "warmup.zip"
    subprocess.run(
        [sys.executable, str(REPO / "lambdas/warmup/package.py"), str(package)],
        check=True,
        capture_output=True,
    )
    cert = _aws(moto_endpoint, "acm").request_certificate(DomainName="rag.example.com")["CertificateArn"]
    secrets = _aws(moto_endpoint, "secretsmanager")
    digests = secrets.create_secret(Name="sec-rag/api-key-digests", SecretString=SECRET_SENTINEL)["ARN"]
    hf_token = secrets.create_secret(Name="sec-rag/hf-token", SecretString=SECRET_SENTINEL)["ARN"]
    tfvars = {
        "gateway_image": "example.invalid/sec-rag-gateway:test",
        "indexer_image": "example.invalid/sec-rag-indexer:test",
        "certificate_arn": cert,
        "api_key_digests_secret_arn": digests,
        "hf_token_secret_arn": hf_token,
        "lambda_package_path": str(package),
        # Bulk embedding on the stack's own GPU embedding server; the gateway keeps its in-process encoder.
        "indexer_embedding_backend": "http",
        "embedder": {"enabled": True},
        "enable_autoscaling": False,
        "deletion_protection": False,
        "force_destroy_buckets": True,
        "models": {
            "qwen7b": {"model": "Qwen/Qwen2.5-7B-Instruct", "served_model_name": "qwen2.5-7b-instruct"},
            "llama8b": {"model": "meta-llama/Llama-3.1-8B-Instruct", "max_model_len": 8192, "max_count": 2},
        },
    }
    (root / "moto.auto.tfvars.json").write_text(json.dumps(tfvars))

    terraform.run("init", "-input=false", cwd=root, data_dir=data_dir, timeout=120)

    def change(command: str, *flags: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """apply/destroy with the flags they share; -parallelism matters against moto's slow ALB calls."""
        return terraform.run(
            command,
            "-auto-approve",
            "-input=false",
            "-parallelism=20",
            *flags,
            cwd=root,
            data_dir=data_dir,
            timeout=420,
            check=check,
        )

    destroyed = False
    try:
        change("apply")
        outputs = json.loads(terraform.run("output", "-json", cwd=root, data_dir=data_dir).stdout)
        state = terraform.run("show", "-json", cwd=root, data_dir=data_dir).stdout
        yield {
            "outputs": {k: v["value"] for k, v in outputs.items()},
            "state": state,
            "endpoint": moto_endpoint,
        }
        # The state was written by the apply just before; refreshing ~120 resources first only costs minutes.
        if change("destroy", "-refresh=false", check=False).returncode != 0:
            # moto sometimes drops a launch template together with its Auto Scaling group, so the unrefreshed
            # delete gets NotFound; a refreshing destroy forgets what is already gone and removes the rest.
            change("destroy")
        destroyed = True
        left = terraform.run("state", "list", cwd=root, data_dir=data_dir, check=False).stdout.strip()
        assert left == "", f"resources left after destroy:\n{left}"
    finally:
        if not destroyed:
            change("destroy", check=False)


def test_outputs_are_read_back(applied):
    out = applied["outputs"]
    assert out["gateway_url"].startswith("https://")
    assert out["vllm_alb_dns_name"]
    assert out["cluster_name"] == "sec-rag"
    assert out["gateway_service_name"] == "sec-rag-gateway"
    assert set(out["vllm_service_names"]) == {"qwen7b", "llama8b", "embedder"}
    assert out["index_bucket"].startswith("sec-rag-") and out["index_bucket"].endswith("-index")
    assert out["warmup_lambda_name"] == "sec-rag-warmup"
    assert out["indexer_state_machine_arn"].endswith(":stateMachine:sec-rag-indexer-sharded-build")
    assert out["vllm_upstreams"] == {
        "qwen2.5-7b-instruct": "http://qwen7b.vllm.internal/v1",
        "llama8b": "http://llama8b.vllm.internal/v1",
    }


def test_emulated_resources_exist(applied):
    ecs = _aws(applied["endpoint"], "ecs")
    cluster = applied["outputs"]["cluster_name"]
    services = ecs.describe_services(
        cluster=cluster, services=[*applied["outputs"]["vllm_service_names"].values(), "sec-rag-gateway"]
    )["services"]
    assert {s["serviceName"] for s in services} == {
        "sec-rag-vllm-qwen7b",
        "sec-rag-vllm-llama8b",
        "sec-rag-vllm-embedder",
        "sec-rag-gateway",
    }
    vllm = next(s for s in services if s["serviceName"] == "sec-rag-vllm-qwen7b")
    assert vllm["desiredCount"] == 0

    elbv2 = _aws(applied["endpoint"], "elbv2")
    albs = {lb["LoadBalancerName"]: lb for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
    assert albs["sec-rag-vllm-alb"]["Scheme"] == "internal"
    # Terraform omits Scheme for internet-facing (the AWS default); moto then reports none.
    assert albs["sec-rag-gateway-alb"].get("Scheme", "internet-facing") == "internet-facing"
    attrs = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=albs["sec-rag-vllm-alb"]["LoadBalancerArn"]
        )["Attributes"]
    }
    assert int(attrs["idle_timeout.timeout_seconds"]) >= 300
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"

    task_def = ecs.describe_task_definition(taskDefinition="sec-rag-vllm-qwen7b")["taskDefinition"]
    container = task_def["containerDefinitions"][0]
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert container["image"].startswith("vllm/vllm-openai:v")
    assert "--enable-prefix-caching" in container["command"]
    assert [s["name"] for s in container["secrets"]] == ["HF_TOKEN"]

    lam = _aws(applied["endpoint"], "lambda").get_function(FunctionName="sec-rag-warmup")["Configuration"]
    assert lam["Runtime"] == "python3.12"
    assert lam["TracingConfig"]["Mode"] == "Active"
    targets = json.loads(lam["Environment"]["Variables"]["WARMUP_TARGETS"])
    assert targets["qwen7b"]["service"] == "sec-rag-vllm-qwen7b"


def test_no_secret_value_in_state_or_task_env(applied):
    assert SECRET_SENTINEL not in applied["state"]
    ecs = _aws(applied["endpoint"], "ecs")
    for family in ("sec-rag-gateway", "sec-rag-vllm-qwen7b", "sec-rag-indexer"):
        task_def = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
        for container in task_def["containerDefinitions"]:
            env = {e["name"]: e["value"] for e in container.get("environment", [])}
            assert SECRET_SENTINEL not in json.dumps(env)
            assert not {"RAG_API_KEYS", "RAG_API_KEY_DIGESTS", "HF_TOKEN"} & set(env), family
            for secret in container.get("secrets", []):
                assert secret["valueFrom"].startswith("arn:aws:secretsmanager:")


def test_gateway_env_matches_settings(applied):
    ecs = _aws(applied["endpoint"], "ecs")
    task_def = ecs.describe_task_definition(taskDefinition="sec-rag-gateway")["taskDefinition"]
    gateway = next(c for c in task_def["containerDefinitions"] if c["name"] == "gateway")
    env = {e["name"]: e["value"] for e in gateway["environment"]}
    assert json.loads(env["RAG_UPSTREAMS"]) == applied["outputs"]["vllm_upstreams"]
    assert env["RAG_ENVIRONMENT"] == "production"
    assert env["RAG_WARMUP_LAMBDA_NAME"] == "sec-rag-warmup"
    assert [s["name"] for s in gateway["secrets"]] == ["RAG_API_KEY_DIGESTS"]
    assert Path(env["RAG_INDEX_DIR"]).is_absolute()


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_sharded_build_state_machine(applied):
    """The state machine runs an indexer task per shard, then a merge publishing where the gateway pulls."""
    endpoint, out = applied["endpoint"], applied["outputs"]
    sfn = _aws(endpoint, "stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=out["indexer_state_machine_arn"])
    assert machine["tracingConfiguration"] == {"enabled": True}
    assert machine["loggingConfiguration"]["level"] == "ERROR"
    states = json.loads(machine["definition"])["States"]
    assert [states["Plan"]["Next"], states["BuildShards"]["Next"]] == ["BuildShards", "Merge"]

    shards = [item["command"] for item in states["Plan"]["Result"]]
    assert [_option(c, "--shard") for c in shards] == ["0/4", "1/4", "2/4", "3/4"]
    shard_urls = [_option(c, "--publish") for c in shards]
    assert len(set(shard_urls)) == 4  # each shard publishes to its own prefix

    ecs = _aws(endpoint, "ecs")
    gateway = ecs.describe_task_definition(taskDefinition="sec-rag-gateway")["taskDefinition"]
    sync = next(c for c in gateway["containerDefinitions"] if c["name"] == "index-sync")
    index_url = _option(sync["command"], "--url")
    assert index_url.startswith(f"s3://{out['index_bucket']}/")
    assert all(url.startswith(f"{index_url}/shards/") for url in shard_urls)
    merge = states["Merge"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"]
    assert merge[:2] == ["rag-index", "merge"]
    assert (_option(merge, "--shards-url"), _option(merge, "--count")) == (index_url, "4")
    assert _option(merge, "--publish") == index_url

    # Every task the machine starts is the applied indexer task definition, on the stack's cluster.
    indexer = ecs.describe_task_definition(taskDefinition="sec-rag-indexer")["taskDefinition"]
    shard_task = states["BuildShards"]["ItemProcessor"]["States"]["BuildShard"]
    for task in (shard_task, states["Merge"]):
        assert task["Resource"].endswith(":states:::ecs:runTask.sync")
        assert task["Parameters"]["TaskDefinition"] == indexer["taskDefinitionArn"]
        assert task["Parameters"]["Cluster"].endswith(f":cluster/{out['cluster_name']}")


def test_indexer_embeds_on_the_embedding_server(applied):
    """With embedder.enabled and an http indexer, the indexer calls the stack's server; the gateway not."""
    ecs = _aws(applied["endpoint"], "ecs")

    def env(family: str, container: str) -> dict[str, str]:
        task_def = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
        found = next(c for c in task_def["containerDefinitions"] if c["name"] == container)
        return {e["name"]: e["value"] for e in found.get("environment", [])}

    indexer = env("sec-rag-indexer", "indexer")
    assert indexer["RAG_EMBEDDING_BACKEND"] == "http"
    assert indexer["RAG_EMBEDDING_URL"] == "http://embedder.vllm.internal/v1"
    assert indexer["RAG_EMBEDDING_SERVED_MODEL"] == "BAAI/bge-small-en-v1.5"
    gateway = env("sec-rag-gateway", "gateway")
    assert gateway["RAG_EMBEDDING_BACKEND"] == "torch"
    assert not {"RAG_EMBEDDING_URL", "RAG_EMBEDDING_SERVED_MODEL"} & set(gateway)

    embedder = ecs.describe_task_definition(taskDefinition="sec-rag-vllm-embedder")["taskDefinition"]
    command = embedder["containerDefinitions"][0]["command"]
    assert command[command.index("--runner") + 1] == "pooling"
