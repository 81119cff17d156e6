output "bucket_name" {
  description = "Name of the log bucket."
  value       = aws_s3_bucket.this.id
  # ALBs validate delivery permissions when access logs are enabled.
  depends_on = [aws_s3_bucket_policy.this]
}

output "bucket_arn" {
  description = "ARN of the log bucket."
  value       = aws_s3_bucket.this.arn
}
