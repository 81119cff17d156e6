output "function_name" {
  description = "Name of the warm-up Lambda."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the warm-up Lambda (the gateway task role may invoke it)."
  value       = aws_lambda_function.this.arn
}

output "security_group_id" {
  description = "Security group of the function (allowed into the vLLM ALB)."
  value       = aws_security_group.this.id
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue for failed asynchronous invocations."
  value       = aws_sqs_queue.dlq.url
}
