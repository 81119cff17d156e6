output "alb_dns_name" {
  description = "DNS name of the internal vLLM ALB."
  value       = aws_lb.this.dns_name
}

output "alb_arn" {
  description = "ARN of the internal vLLM ALB."
  value       = aws_lb.this.arn
}

output "alb_security_group_id" {
  description = "Security group of the internal vLLM ALB."
  value       = aws_security_group.alb.id
}

output "upstreams" {
  description = "Served model name -> OpenAI base URL, the gateway's RAG_UPSTREAMS."
  value       = { for k in keys(var.models) : local.served_names[k] => "http://${local.hostnames[k]}/v1" }
}

output "reranker" {
  description = "The cross-encoder's rerank base URL (ending in /v1) and served model name, or null when reranker.enabled is false."
  value       = local.pooling_endpoints[local.reranker_key]
}

output "embedder" {
  description = "The embedding server's base URL (ending in /v1) and served model name, or null when embedder.enabled is false."
  value       = local.pooling_endpoints[local.embedder_key]
}

output "warmup_targets" {
  description = "Service key -> ECS service, target group ARN and /health URL, the warm-up Lambda's WARMUP_TARGETS (the reranker included: it sleeps and wakes with the models)."
  value = {
    for k in keys(local.services) : k => {
      service          = aws_ecs_service.this[k].name
      target_group_arn = aws_lb_target_group.this[k].arn
      health_url       = "http://${local.hostnames[k]}/health"
    }
  }
}

output "service_names" {
  description = "Service key (model keys and reranker) -> ECS service name."
  value       = { for k, s in aws_ecs_service.this : k => s.name }
}

output "service_arns" {
  description = "ECS service ARNs (for IAM scoping of the warm-up Lambda)."
  value       = [for s in aws_ecs_service.this : s.id]
}

output "target_group_arns" {
  description = "Model key -> target group ARN."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn }
}

output "route53_zone_id" {
  description = "Private hosted zone holding the per-model names."
  value       = aws_route53_zone.this.zone_id
}
