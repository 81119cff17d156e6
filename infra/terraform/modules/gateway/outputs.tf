output "url" {
  description = "Public HTTPS URL of the gateway (point a DNS name covered by the certificate at alb_dns_name)."
  value       = "https://${aws_lb.this.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the public ALB."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 zone ID of the public ALB, for an alias record."
  value       = aws_lb.this.zone_id
}

output "service_name" {
  description = "Name of the gateway ECS service."
  value       = aws_ecs_service.this.name
}

output "task_security_group_id" {
  description = "Security group of the gateway tasks (allowed into the vLLM ALB)."
  value       = aws_security_group.tasks.id
}

output "task_role_arn" {
  description = "IAM role of the gateway tasks."
  value       = module.identity.task_role_arn
}

output "task_definition_arn" {
  description = "ARN of the gateway task definition."
  value       = aws_ecs_task_definition.this.arn
}
