variable "name" {
  description = "Function name, also the prefix of its role, queue and schedules."
  type        = string
}

variable "package_path" {
  description = "Path of the zip built from lambdas/warmup/src (see infra/README.md)."
  type        = string
}

variable "vpc_id" {
  description = "VPC whose private subnets reach the internal vLLM ALB."
  type        = string
}

variable "vpc_cidr" {
  description = "VPC CIDR; the function may call the internal vLLM ALB inside it."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the function's network interfaces."
  type        = list(string)
}

variable "cluster_name" {
  description = "ECS cluster holding the vLLM services (WARMUP_CLUSTER)."
  type        = string
}

variable "service_arns" {
  description = "vLLM ECS service ARNs; the only services the function may describe or scale."
  type        = list(string)
}

variable "targets" {
  description = "Model key -> {service, target_group_arn, health_url} (WARMUP_TARGETS)."
  type = map(object({
    service          = string
    target_group_arn = string
    health_url       = optional(string)
  }))
}

variable "warm_count" {
  description = "Tasks per model the scheduled warm-up asks for (WARMUP_DEFAULT_COUNT)."
  type        = number
  default     = 1
  validation {
    condition     = var.warm_count >= 1 && var.warm_count <= 16
    error_message = "warm_count must be between 1 and 16."
  }
}

variable "warm_schedule" {
  description = "EventBridge schedule that warms the models before working hours (UTC)."
  type        = string
  default     = "cron(40 6 ? * MON-FRI *)"
}

variable "sleep_schedule" {
  description = "EventBridge schedule that scales the models to zero after working hours (UTC)."
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
}

variable "timeout_seconds" {
  description = "Function timeout; bounds how long a warm-up waits for healthy targets (GPU boot + model load)."
  type        = number
  default     = 900
  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 60 and 900."
  }
}

variable "poll_seconds" {
  description = "Seconds between health polls while warming."
  type        = number
  default     = 10
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; small, since warm-ups are idempotent and rare."
  type        = number
  default     = 2
}

variable "kms_key_arn" {
  description = "KMS key ARN for the environment, the log group and the dead-letter queue."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the function."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
