output "gateway_url" {
  description = "Public HTTPS URL of the gateway."
  value       = module.gateway.url
}

output "gateway_alb_dns_name" {
  description = "DNS name of the public ALB (alias your certificate's host name to it)."
  value       = module.gateway.alb_dns_name
}

output "vllm_alb_dns_name" {
  description = "DNS name of the internal vLLM ALB."
  value       = module.vllm.alb_dns_name
}

output "vllm_upstreams" {
  description = "Served model name -> base URL given to the gateway as RAG_UPSTREAMS."
  value       = module.vllm.upstreams
}

output "embedder" {
  description = "The embedding server's URL and served model name, or null when embedder.enabled is false."
  value       = module.vllm.embedder
}

output "reranker" {
  description = "The cross-encoder's rerank base URL and served model name given to the gateway, or null when disabled."
  value       = module.vllm.reranker
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cluster.cluster_name
}

output "gateway_service_name" {
  description = "ECS service of the gateway."
  value       = module.gateway.service_name
}

output "vllm_service_names" {
  description = "Model key -> ECS service of vLLM."
  value       = module.vllm.service_names
}

output "index_bucket" {
  description = "S3 bucket holding the index (prefix index/)."
  value       = module.index.bucket_name
}

output "warmup_lambda_name" {
  description = "Name of the warm-up Lambda."
  value       = module.warmup.function_name
}

output "indexer_task_definition_arn" {
  description = "Task definition to run with aws ecs run-task to (re)build the index."
  value       = module.indexer.task_definition_arn
}

output "indexer_run_task_network" {
  description = "awsvpcConfiguration for aws ecs run-task of the indexer."
  value = {
    subnets        = module.network.private_subnet_ids
    securityGroups = [module.indexer.security_group_id]
    assignPublicIp = "DISABLED"
  }
}

output "indexer_state_machine_arn" {
  description = "Step Functions state machine of the sharded index build (aws stepfunctions start-execution)."
  value       = module.indexer.state_machine_arn
}
