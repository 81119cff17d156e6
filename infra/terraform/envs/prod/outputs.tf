output "gateway_url" {
  description = "Public HTTPS URL of the gateway."
  value       = module.stack.gateway_url
}

output "vllm_alb_dns_name" {
  description = "DNS name of the internal vLLM ALB."
  value       = module.stack.vllm_alb_dns_name
}

output "vllm_upstreams" {
  description = "RAG_UPSTREAMS given to the gateway."
  value       = module.stack.vllm_upstreams
}

output "reranker" {
  description = "Rerank base URL and model given to the gateway (RAG_RERANKER_URL, RAG_RERANKER_MODEL), or null."
  value       = module.stack.reranker
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.stack.cluster_name
}

output "gateway_service_name" {
  description = "ECS service of the gateway."
  value       = module.stack.gateway_service_name
}

output "vllm_service_names" {
  description = "Model key -> ECS service of vLLM."
  value       = module.stack.vllm_service_names
}

output "index_bucket" {
  description = "S3 bucket holding the index."
  value       = module.stack.index_bucket
}

output "warmup_lambda_name" {
  description = "Name of the warm-up Lambda."
  value       = module.stack.warmup_lambda_name
}

output "indexer_task_definition_arn" {
  description = "Indexer task definition for aws ecs run-task."
  value       = module.stack.indexer_task_definition_arn
}

output "indexer_run_task_network" {
  description = "awsvpcConfiguration for running the indexer task."
  value       = module.stack.indexer_run_task_network
}

output "indexer_state_machine_arn" {
  description = "Step Functions state machine of the sharded index build (aws stepfunctions start-execution)."
  value       = module.stack.indexer_state_machine_arn
}
