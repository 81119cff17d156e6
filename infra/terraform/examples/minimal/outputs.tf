output "gateway_url" {
  description = "Public HTTPS URL of the gateway."
  value       = module.stack.gateway_url
}

output "vllm_alb_dns_name" {
  description = "DNS name of the internal vLLM ALB."
  value       = module.stack.vllm_alb_dns_name
}

output "warmup_lambda_name" {
  description = "Name of the warm-up Lambda."
  value       = module.stack.warmup_lambda_name
}
