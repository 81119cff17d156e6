variable "name" {
  description = "Name prefix for the gateway ALB, service and roles."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (used in autoscaling resource IDs)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the ALB and the tasks."
  type        = string
}

variable "vpc_cidr" {
  description = "VPC CIDR; tasks may call the internal vLLM ALB inside it."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets for the Fargate tasks."
  type        = list(string)
}

variable "ingress_cidrs" {
  description = "Client CIDRs allowed to reach the public ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "waf_web_acl_arn" {
  description = "Optional WAFv2 web ACL associated with the public ALB."
  type        = string
  default     = null
}

variable "image" {
  description = "Gateway image (docker/gateway.Dockerfile), pinned by tag or digest."
  type        = string
  validation {
    condition     = !endswith(var.image, ":latest")
    error_message = "image must be pinned, not :latest."
  }
}

variable "index_sync_image" {
  description = "Image running the index-sync sidecar (docker/indexer.Dockerfile)."
  type        = string
}

variable "container_port" {
  description = "Port rag-gateway listens on (RAG_PORT)."
  type        = number
  default     = 8080
}

variable "cpu" {
  description = "Fargate task CPU units; the gateway runs one worker process per 1024 units (RAG_WORKERS)."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Fargate task memory (MiB): embedding model, FAISS index and the sidecar."
  type        = number
  default     = 4096
}

variable "desired_count" {
  description = "Initial number of gateway tasks."
  type        = number
  default     = 2
}

variable "min_count" {
  description = "Autoscaling minimum of gateway tasks."
  type        = number
  default     = 1
}

variable "max_count" {
  description = "Autoscaling maximum of gateway tasks."
  type        = number
  default     = 6
  validation {
    condition     = var.max_count >= 1
    error_message = "max_count must be at least 1."
  }
}

variable "cpu_target_percent" {
  description = "Target average CPU for the CPU tracking policy."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute for the request tracking policy."
  type        = number
  default     = 300
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling target and policies. Keep true; only the emulator test turns it off."
  type        = bool
  default     = true
}

variable "upstreams" {
  description = "Served model name -> vLLM base URL ending in /v1 (RAG_UPSTREAMS)."
  type        = map(string)
  validation {
    condition     = length(var.upstreams) >= 1
    error_message = "upstreams needs at least one model."
  }
}

variable "index_bucket_name" {
  description = "S3 bucket holding the published index."
  type        = string
}

variable "index_bucket_arn" {
  description = "ARN of the index bucket."
  type        = string
}

variable "index_prefix" {
  description = "Key prefix of the index inside the bucket."
  type        = string
  default     = "index"
}

variable "index_sync_interval_seconds" {
  description = "How often the sidecar checks S3 for a new index version (the gateway hot-swaps it)."
  type        = number
  default     = 60
}

variable "embedding_model_path" {
  description = "Embedding model folder baked into the gateway image (RAG_EMBEDDING_MODEL)."
  type        = string
  default     = "/opt/models/embedding"
}

variable "embedding_backend" {
  description = "RAG_EMBEDDING_BACKEND: torch, onnx, or http with embedding_url (the same model as the index's; the gateway checks the vectors when either side is http)."
  type        = string
  default     = "torch"
  validation {
    condition     = contains(["torch", "onnx", "http"], var.embedding_backend)
    error_message = "embedding_backend must be torch, onnx or http."
  }
}

variable "embedding_url" {
  description = "RAG_EMBEDDING_URL: OpenAI-compatible /v1 base URL of an embeddings server (vLLM pooling runner); required when embedding_backend is http, empty otherwise."
  type        = string
  default     = ""
  validation {
    condition     = var.embedding_url == "" || can(regex("^https?://[^/]+/v1$", var.embedding_url))
    error_message = "embedding_url must be empty or an http(s) base URL ending in /v1 (the client posts to <url>/embeddings)."
  }
}

variable "embedding_served_model" {
  description = "RAG_EMBEDDING_SERVED_MODEL: the model name the server at embedding_url serves; empty: the model folder's id."
  type        = string
  default     = ""
}

variable "api_key_digests_secret_arn" {
  description = "Secrets Manager ARN whose value is RAG_API_KEY_DIGESTS (sha256 digests of client keys); injected by ECS."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.api_key_digests_secret_arn))
    error_message = "api_key_digests_secret_arn must be a Secrets Manager ARN."
  }
}

variable "warmup_lambda_arn" {
  description = "ARN of the warm-up Lambda the gateway invokes when vLLM is asleep (null disables the hook)."
  type        = string
  default     = null
}

variable "warmup_lambda_name" {
  description = "Name of the warm-up Lambda (RAG_WARMUP_LAMBDA_NAME)."
  type        = string
  default     = null
}

variable "reranker" {
  description = "Cross-encoder rerank service (base URL ending in /v1, served model name); sets RAG_RERANKER=http, RAG_RERANKER_URL and RAG_RERANKER_MODEL. Null: no such service."
  type = object({
    url   = string
    model = string
  })
  default = null
  validation {
    condition     = var.reranker == null || can(regex("^https?://[^/]+/v1$", var.reranker.url))
    error_message = "reranker.url must be an http(s) base URL ending in /v1 (the client posts to <url>/rerank)."
  }
}

variable "extra_environment" {
  description = "More RAG_* settings (non-secret) for the gateway container."
  type        = map(string)
  default     = {}
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
  description = "KMS key ARN for logs, secrets and index objects."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the gateway containers."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
