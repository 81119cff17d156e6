output "log_group_name" {
  description = "CloudWatch log group of the task's containers (awslogs-group)."
  value       = aws_cloudwatch_log_group.this.name
}

output "execution_role_arn" {
  description = "ARN of the execution role (task definition execution_role_arn)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the task role (task definition task_role_arn)."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role, to attach further policies."
  value       = aws_iam_role.task.name
}
