variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sec-rag"
}

variable "azs" {
  description = "Availability zones (two or more)."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per AZ."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Interface endpoints for ECR, Logs, Secrets Manager, ECS and STS."
  type        = bool
  default     = true
}

variable "gpu_instance_types" {
  description = "GPU instance types, preferred first."
  type        = list(string)
  default     = ["g5.xlarge"]
}

variable "gpu_max_instances" {
  description = "Upper bound of GPU instances."
  type        = number
  default     = 4
}

variable "on_demand_base_capacity" {
  description = "GPU instances always on demand."
  type        = number
  default     = 0
}

variable "on_demand_percentage_above_base" {
  description = "On-demand share above the base; the rest is spot (ADR: 20)."
  type        = number
  default     = 20
}

variable "vllm_image" {
  description = "vllm/vllm-openai image pinned by tag."
  type        = string
  default     = "vllm/vllm-openai:v0.32.0"
}

variable "models" {
  description = "Models served by vLLM, one ECS service and target group each (fields: modules/vllm)."
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
  default = {
    qwen7b = {
      model             = "Qwen/Qwen2.5-7B-Instruct"
      served_model_name = "qwen2.5-7b-instruct"
      max_model_len     = 16384
    }
  }
}

variable "embedder" {
  description = "Optional embedding server for the http embedding backend, on its own vLLM GPU service (fields: modules/vllm); with indexer_embedding_backend = \"http\" bulk indexing embeds on a GPU. Raise gpu_max_instances to match its max_count."
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

variable "reranker" {
  description = "Optional cross-encoder for the gateway's http reranker, on its own vLLM GPU service (fields: modules/vllm). Enabling it adds up to max_count GPU tasks: raise gpu_max_instances to match."
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

variable "hf_token_secret_arn" {
  description = "Secrets Manager ARN of the Hugging Face token (null for public models)."
  type        = string
  default     = null
}

variable "gateway_image" {
  description = "Gateway image (ECR URI with tag) built from docker/gateway.Dockerfile."
  type        = string
}

variable "indexer_image" {
  description = "Indexer image (ECR URI with tag) built from docker/indexer.Dockerfile."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the public HTTPS listener."
  type        = string
}

variable "api_key_digests_secret_arn" {
  description = "Secrets Manager ARN whose value is RAG_API_KEY_DIGESTS."
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

variable "embedding_backend" {
  description = "Embedding backend of the gateway, and of the indexer unless indexer_embedding_backend is set (torch, onnx or http)."
  type        = string
  default     = "torch"
}

variable "indexer_embedding_backend" {
  description = "The indexer's embedding backend when it differs from the gateway's (e.g. http on the GPU service); null: embedding_backend."
  type        = string
  default     = null
}

variable "embedding_served_model" {
  description = "Model name served at embedding_url; empty: the model folder's id."
  type        = string
  default     = ""
}

variable "indexer_sharded_build" {
  description = "Create the Step Functions state machine of the sharded index build (see modules/indexer)."
  type        = bool
  default     = true
}

variable "indexer_shard_count" {
  description = "Parallel indexer tasks of the sharded build."
  type        = number
  default     = 4
}

variable "embedding_url" {
  description = "OpenAI-compatible /v1 base URL of the embeddings server, required when either side uses http."
  type        = string
  default     = ""
}

variable "sec_user_agent" {
  description = "EDGAR User-Agent ('Name email') for the indexer."
  type        = string
  default     = ""
}

variable "lambda_package_path" {
  description = "Zip of the warm-up Lambda (python -m zipfile -c build/warmup.zip lambdas/warmup/src/warmup)."
  type        = string
  default     = "../../../../build/warmup.zip"
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling for vLLM and the gateway; only the emulator test turns it off."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on both ALBs."
  type        = bool
  default     = true
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets."
  type        = bool
  default     = false
}
