variable "name" {
  description = "Task family name: the log group is /ecs/<name>, the roles <name>-execution and <name>-task."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key ARN that encrypts the log group and the secrets the execution role reads."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the task's log group."
  type        = number
  default     = 365
}

variable "secret_arns" {
  description = "Secrets Manager ARNs the execution role may read to inject into containers at start."
  type        = list(string)
  default     = []
}

variable "secrets_policy_name" {
  description = "Name of the execution role's inline policy that reads secret_arns."
  type        = string
  default     = "read-secrets"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
