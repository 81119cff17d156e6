output "task_definition_arn" {
  description = "ARN of the indexer task definition (aws ecs run-task --launch-type FARGATE)."
  value       = aws_ecs_task_definition.this.arn
}

output "security_group_id" {
  description = "Security group to pass to run-task."
  value       = aws_security_group.this.id
}

output "task_role_arn" {
  description = "IAM role of the indexer task."
  value       = module.identity.task_role_arn
}

output "state_machine_arn" {
  description = "Step Functions state machine of the sharded build (Map of shard tasks, then merge)."
  value       = one(aws_sfn_state_machine.this[*].arn)
}
