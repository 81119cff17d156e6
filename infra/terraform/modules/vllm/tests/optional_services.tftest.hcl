# The optional pooling services, the cross-encoder and the embedding server: each its own service with the
# pooling runner, a URL for the gateway or the indexer, never a chat upstream, and no change to the chat models'
# resources when it is switched on.
# Plans against a mocked provider: no AWS, no credentials (tests/infra/test_terraform_module_tests.py runs it).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name                      = "test-vllm"
  cluster_arn               = "arn:aws:ecs:us-east-1:123456789012:cluster/test"
  cluster_name              = "test"
  capacity_provider_name    = "gpu"
  vpc_id                    = "vpc-12345678"
  subnet_ids                = ["subnet-c", "subnet-d"]
  client_security_group_ids = ["sg-12345678"]
  access_logs_bucket        = "log-bucket"
  kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/test"
  enable_autoscaling        = false
  models = {
    qwen7b = { model = "Qwen/Qwen2.5-7B-Instruct", served_model_name = "qwen2.5-7b-instruct" }
  }
}

run "reranker_disabled_by_default" {
  command = plan

  assert {
    condition     = output.reranker == null && keys(aws_ecs_service.this) == ["qwen7b"]
    error_message = "without reranker.enabled there is no reranker service and no reranker output"
  }
}

run "enabled_serves_the_cross_encoder_with_the_pooling_runner" {
  command = plan

  variables {
    reranker = { enabled = true }
  }

  assert {
    condition     = output.reranker == { url = "http://reranker.vllm.internal/v1", model = "BAAI/bge-reranker-v2-m3" }
    error_message = "the reranker output must be its host's /v1 base URL and the served model name"
  }
  assert {
    condition     = output.upstreams == { "qwen2.5-7b-instruct" = "http://qwen7b.vllm.internal/v1" }
    error_message = "the reranker must never become a chat upstream"
  }
  assert {
    condition = strcontains(
      join(" ", jsondecode(aws_ecs_task_definition.this["reranker"].container_definitions)[0].command),
      "--model BAAI/bge-reranker-v2-m3 --served-model-name BAAI/bge-reranker-v2-m3",
    )
    error_message = "the reranker task must serve the configured model under its own name"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["reranker"].container_definitions)[0].command, "pooling")
    error_message = "the reranker task must run vLLM with --runner pooling (what serves /v1/rerank)"
  }
  assert {
    condition     = !contains(jsondecode(aws_ecs_task_definition.this["reranker"].container_definitions)[0].command, "--enable-prefix-caching")
    error_message = "the reranker task takes none of the chat models' flags"
  }
  assert {
    condition     = aws_lb_listener_rule.this["reranker"].priority == 99 && aws_lb_listener_rule.this["qwen7b"].priority == 100
    error_message = "switching the reranker on must leave the models' listener priorities unchanged"
  }
  assert {
    condition     = contains(keys(output.warmup_targets), "reranker")
    error_message = "the warm-up Lambda must wake and sleep the reranker with the models"
  }
}

run "model_key_reranker_clashes_with_the_cross_encoder" {
  command = plan

  variables {
    reranker = { enabled = true }
    models   = { reranker = { model = "Qwen/Qwen2.5-7B-Instruct" } }
  }

  expect_failures = [aws_route53_zone.this]
}

run "embedder_disabled_by_default" {
  command = plan

  assert {
    condition     = output.embedder == null && keys(aws_ecs_service.this) == ["qwen7b"]
    error_message = "without embedder.enabled there is no embedder service and no embedder output"
  }
}

run "enabled_serves_the_embedding_model_with_the_pooling_runner" {
  command = plan

  variables {
    embedder = { enabled = true }
    reranker = { enabled = true }
  }

  assert {
    condition     = output.embedder == { url = "http://embedder.vllm.internal/v1", model = "BAAI/bge-small-en-v1.5" }
    error_message = "the embedder output must be its host's /v1 base URL and the served model name"
  }
  assert {
    condition     = output.upstreams == { "qwen2.5-7b-instruct" = "http://qwen7b.vllm.internal/v1" }
    error_message = "the embedder must never become a chat upstream"
  }
  assert {
    condition = strcontains(
      join(" ", jsondecode(aws_ecs_task_definition.this["embedder"].container_definitions)[0].command),
      "--model BAAI/bge-small-en-v1.5 --served-model-name BAAI/bge-small-en-v1.5",
    )
    error_message = "the embedder task must serve the configured model under its own name"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["embedder"].container_definitions)[0].command, "pooling")
    error_message = "the embedder task must run vLLM with --runner pooling (what serves /v1/embeddings)"
  }
  assert {
    condition     = [for k in ["embedder", "reranker", "qwen7b"] : aws_lb_listener_rule.this[k].priority] == [98, 99, 100]
    error_message = "the embedder and the reranker keep fixed priorities and leave the models' unchanged"
  }
  assert {
    condition     = contains(keys(output.warmup_targets), "embedder")
    error_message = "the warm-up Lambda must wake and sleep the embedder with the models"
  }
}

run "model_key_embedder_clashes_with_the_embedding_server" {
  command = plan

  variables {
    embedder = { enabled = true }
    models   = { embedder = { model = "Qwen/Qwen2.5-7B-Instruct" } }
  }

  expect_failures = [aws_route53_zone.this]
}
