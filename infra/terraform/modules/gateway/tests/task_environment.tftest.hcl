# What the gateway task's environment gets: the http reranker's settings only when a reranker service exists,
# and the embedding backend, in-process (torch, onnx) or over http (RAG_EMBEDDING_URL), like the indexer module.
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
  name                       = "test-gateway"
  cluster_arn                = "arn:aws:ecs:us-east-1:123456789012:cluster/test"
  cluster_name               = "test"
  vpc_id                     = "vpc-12345678"
  vpc_cidr                   = "10.0.0.0/16"
  public_subnet_ids          = ["subnet-a", "subnet-b"]
  private_subnet_ids         = ["subnet-c", "subnet-d"]
  certificate_arn            = "arn:aws:acm:us-east-1:123456789012:certificate/test"
  image                      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gateway:1"
  index_sync_image           = "123456789012.dkr.ecr.us-east-1.amazonaws.com/indexer:1"
  upstreams                  = { "qwen2.5-7b-instruct" = "http://qwen7b.vllm.internal/v1" }
  index_bucket_name          = "index-bucket"
  index_bucket_arn           = "arn:aws:s3:::index-bucket"
  api_key_digests_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:digests"
  access_logs_bucket         = "log-bucket"
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/test"
  enable_autoscaling         = false
}

run "no_reranker_no_reranker_env" {
  command = plan

  assert {
    condition     = length([for k in keys(local.environment) : k if startswith(k, "RAG_RERANKER")]) == 0
    error_message = "without a reranker service the gateway must get no RAG_RERANKER* setting"
  }
}

run "reranker_sets_http_url_and_model" {
  command = plan

  variables {
    reranker = { url = "http://reranker.vllm.internal/v1", model = "BAAI/bge-reranker-v2-m3" }
  }

  assert {
    condition     = local.environment["RAG_RERANKER"] == "http"
    error_message = "RAG_RERANKER must be http when a reranker service exists"
  }
  assert {
    condition     = local.environment["RAG_RERANKER_URL"] == "http://reranker.vllm.internal/v1"
    error_message = "RAG_RERANKER_URL must be the reranker service's base URL"
  }
  assert {
    condition     = local.environment["RAG_RERANKER_MODEL"] == "BAAI/bge-reranker-v2-m3"
    error_message = "RAG_RERANKER_MODEL must be the reranker's served model name"
  }
  assert {
    condition = contains(flatten([
      for c in jsondecode(aws_ecs_task_definition.this.container_definitions) :
      [for e in c.environment : "${e.name}=${e.value}"] if c.name == "gateway"
    ]), "RAG_RERANKER=http")
    error_message = "the gateway container's environment must carry RAG_RERANKER=http"
  }
}

run "reranker_url_must_end_in_v1" {
  command = plan

  variables {
    reranker = { url = "http://reranker.vllm.internal/v1/rerank", model = "m" }
  }

  expect_failures = [var.reranker]
}

run "in_process_backend_has_no_url" {
  command = plan

  assert {
    condition     = local.environment["RAG_EMBEDDING_BACKEND"] == "torch" && !contains(keys(local.environment), "RAG_EMBEDDING_URL")
    error_message = "an in-process backend must get no RAG_EMBEDDING_URL"
  }
}

run "http_backend_sets_the_url" {
  command = plan

  variables {
    embedding_backend = "http"
    embedding_url     = "http://embed.vllm.internal/v1"
  }

  assert {
    condition = contains(flatten([
      for c in jsondecode(aws_ecs_task_definition.this.container_definitions) :
      [for e in c.environment : "${e.name}=${e.value}"] if c.name == "gateway"
    ]), "RAG_EMBEDDING_URL=http://embed.vllm.internal/v1")
    error_message = "the gateway container must carry RAG_EMBEDDING_URL with the http backend"
  }
  assert {
    condition     = local.environment["RAG_EMBEDDING_BACKEND"] == "http"
    error_message = "RAG_EMBEDDING_BACKEND must be http"
  }
}

run "http_backend_needs_a_url" {
  command = plan

  variables {
    embedding_backend = "http"
  }

  expect_failures = [aws_ecs_task_definition.this]
}

run "url_must_end_in_v1" {
  command = plan

  variables {
    embedding_backend = "http"
    embedding_url     = "http://embed.vllm.internal/v1/embeddings"
  }

  expect_failures = [var.embedding_url]
}

run "unknown_backend_is_refused" {
  command = plan

  variables {
    embedding_backend = "tensorrt"
  }

  expect_failures = [var.embedding_backend]
}
