variable "name" {
  description = "Name prefix of every resource (lowercase, short: it ends up in ALB and target group names)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name))
    error_message = "name must be 2-15 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags merged into every resource's tags."
  type        = map(string)
  default     = {}
}

# --- Network -------------------------------------------------------------------------------------------

variable "azs" {
  description = "Two or more availability zones."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "VPC CIDR block."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway instead of one per AZ."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Interface endpoints for ECR, Logs, Secrets Manager, ECS and STS."
  type        = bool
  default     = true
}

# --- GPU capacity --------------------------------------------------------------------------------------

variable "gpu_instance_types" {
  description = "GPU instance types of the mixed instances policy, preferred first."
  type        = list(string)
  default     = ["g5.xlarge"]
}

variable "gpu_max_instances" {
  description = "Upper bound of GPU instances (ADR: 4)."
  type        = number
  default     = 4
}

variable "gpu_root_volume_size_gb" {
  description = "gp3 root volume per GPU instance (images + model cache)."
  type        = number
  default     = 200
}

variable "on_demand_base_capacity" {
  description = "GPU instances always on demand."
  type        = number
  default     = 0
}

variable "on_demand_percentage_above_base" {
  description = "On-demand share above the base (ADR: 20, the rest spot)."
  type        = number
  default     = 20
}

# --- vLLM ----------------------------------------------------------------------------------------------

variable "vllm_image" {
  description = "vllm/vllm-openai image pinned by tag."
  type        = string
  default     = "vllm/vllm-openai:v0.32.0"
}

variable "models" {
  description = "Models served by vLLM; see modules/vllm for the object's fields."
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
}

variable "reranker" {
  description = "Optional cross-encoder on its own vLLM service for the gateway's http reranker; see modules/vllm for the object's fields."
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
}

variable "embedder" {
  description = "Optional embedding server on its own vLLM service (the images' embedding model, `--runner pooling`); when enabled and embedding_url is empty, whichever side uses the http embedding backend calls it. Fields: modules/vllm."
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
}

variable "hf_token_secret_arn" {
  description = "Secrets Manager ARN of the Hugging Face token (null for public models)."
  type        = string
  default     = null
}

variable "vllm_health_check_grace_period_seconds" {
  description = "Grace period before ALB health counts for a new vLLM task (>= 600)."
  type        = number
  default     = 900
}

# --- Gateway -------------------------------------------------------------------------------------------

variable "gateway_image" {
  description = "Gateway image built from docker/gateway.Dockerfile."
  type        = string
}

variable "indexer_image" {
  description = "Indexer image built from docker/indexer.Dockerfile (also runs the index-sync sidecar)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for the public HTTPS listener."
  type        = string
}

variable "api_key_digests_secret_arn" {
  description = "Secrets Manager ARN holding RAG_API_KEY_DIGESTS."
  type        = string
}

variable "ingress_cidrs" {
  description = "Client CIDRs allowed to the public ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "waf_web_acl_arn" {
  description = "Optional WAFv2 web ACL for the public ALB."
  type        = string
  default     = null
}

variable "gateway_desired_count" {
  description = "Initial gateway tasks."
  type        = number
  default     = 2
}

variable "gateway_min_count" {
  description = "Gateway autoscaling minimum."
  type        = number
  default     = 1
}

variable "gateway_max_count" {
  description = "Gateway autoscaling maximum."
  type        = number
  default     = 6
}

variable "embedding_backend" {
  description = "Embedding backend of the gateway's query encoder, and of the indexer unless indexer_embedding_backend says otherwise: torch, onnx, or http (with embedding_url)."
  type        = string
  default     = "torch"
}

variable "indexer_embedding_backend" {
  description = "The indexer's embedding backend when it differs from the gateway's; typically http (embedding_url) so bulk embedding runs on a GPU while the gateway embeds queries in-process. Null: embedding_backend."
  type        = string
  default     = null
}

variable "indexer_sharded_build" {
  description = "Create the Step Functions state machine that builds the index as indexer_shard_count parallel tasks and a merge (free while idle)."
  type        = bool
  default     = true
}

variable "indexer_shard_count" {
  description = "Parallel indexer tasks of the sharded build (rag-index build --shard i/n, then rag-index merge)."
  type        = number
  default     = 4
}

variable "embedding_url" {
  description = "OpenAI-compatible /v1 base URL of the embeddings server (vLLM `--runner pooling` serving the index's model), for whichever of the gateway and the indexer uses the http backend; empty when neither does."
  type        = string
  default     = ""
  validation {
    condition     = var.embedding_url == "" || can(regex("^https?://[^/]+/v1$", var.embedding_url))
    error_message = "embedding_url must be empty or an http(s) base URL ending in /v1 (the client posts to <url>/embeddings)."
  }
  validation {
    condition     = (var.embedding_url != "" || var.embedder.enabled) == contains([var.embedding_backend, coalesce(var.indexer_embedding_backend, var.embedding_backend)], "http")
    error_message = "An embeddings server (embedding_url, or embedder.enabled) is required when the gateway or the indexer uses the http embedding backend, and only then."
  }
}

variable "embedding_served_model" {
  description = "Model name the server at embedding_url serves (RAG_EMBEDDING_SERVED_MODEL); empty: the model folder's id. Ignored with embedder.enabled and no embedding_url."
  type        = string
  default     = ""
}

variable "gateway_extra_environment" {
  description = "More non-secret RAG_* settings for the gateway."
  type        = map(string)
  default     = {}
}

# --- Index, warm-up, operations ------------------------------------------------------------------------

variable "sec_user_agent" {
  description = "EDGAR User-Agent ('Name email') for the indexer when it fetches filings."
  type        = string
  default     = ""
}

variable "lambda_package_path" {
  description = "Zip of lambdas/warmup/src/warmup (see infra/README.md)."
  type        = string
}

variable "warm_schedule" {
  description = "EventBridge schedule of the warm-up (UTC)."
  type        = string
  default     = "cron(40 6 ? * MON-FRI *)"
}

variable "sleep_schedule" {
  description = "EventBridge schedule of the scale-to-zero (UTC)."
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling for vLLM and the gateway. True for real deployments; the emulator test sets false."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on both ALBs."
  type        = bool
  default     = true
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets (index and logs)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention everywhere."
  type        = number
  default     = 365
}
