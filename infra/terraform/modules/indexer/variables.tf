variable "name" {
  description = "Family name of the indexer task definition."
  type        = string
}

variable "vpc_id" {
  description = "VPC the indexer task runs in."
  type        = string
}

variable "image" {
  description = "Indexer image (docker/indexer.Dockerfile), pinned by tag or digest."
  type        = string
  validation {
    condition     = !endswith(var.image, ":latest")
    error_message = "image must be pinned, not :latest."
  }
}

variable "index_bucket_name" {
  description = "S3 bucket the index is published to."
  type        = string
}

variable "index_bucket_arn" {
  description = "ARN of the index bucket."
  type        = string
}

variable "index_prefix" {
  description = "Key prefix of the published index."
  type        = string
  default     = "index"
}

variable "corpus_prefix" {
  description = "Key prefix of a corpus folder (filings + manifest.csv) in the bucket; empty means fetch from EDGAR."
  type        = string
  default     = "corpus"
}

variable "edgar_tickers" {
  description = "Tickers fetched from EDGAR when the bucket holds no corpus."
  type        = list(string)
  default     = ["AAPL", "MSFT", "GOOGL", "AMZN", "META"]
}

variable "edgar_years" {
  description = "Fiscal years of 10-K filings fetched per ticker."
  type        = number
  default     = 3
}

variable "sec_user_agent" {
  description = "User-Agent with contact e-mail that SEC's fair-access rule requires for EDGAR downloads (not a secret)."
  type        = string
  default     = ""
}

variable "embedding_model_path" {
  description = "Embedding model folder baked into the indexer image; must be the gateway's model."
  type        = string
  default     = "/opt/models/embedding"
}

variable "embedding_backend" {
  description = "Embedding backend used to build the index (torch, onnx, or http with embedding_url); the gateway's model must be the same."
  type        = string
  default     = "torch"
  validation {
    condition     = contains(["torch", "onnx", "http"], var.embedding_backend)
    error_message = "embedding_backend must be torch, onnx or http."
  }
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 4096
}

variable "memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 16384
}

variable "ephemeral_storage_gb" {
  description = "Fargate ephemeral storage for the corpus and the index build."
  type        = number
  default     = 50
}

variable "kms_key_arn" {
  description = "KMS key ARN of the bucket and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of indexer runs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "cluster_arn" {
  description = "ECS cluster the sharded build's tasks run in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the sharded build's tasks."
  type        = list(string)
}

variable "sharded_build" {
  description = "Create the Step Functions state machine of the sharded build (shard_count tasks, then a merge)."
  type        = bool
  default     = false
}

variable "shard_count" {
  description = "Parallel indexer tasks of the sharded build (rag-index build --shard i/n); needs corpus_prefix."
  type        = number
  default     = 4
  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 64 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be a whole number from 1 to 64."
  }
}

variable "embedding_url" {
  description = "OpenAI-compatible /v1 base URL of an embeddings server (vLLM pooling runner); empty embeds in the task."
  type        = string
  default     = ""
}

variable "embedding_served_model" {
  description = "Model name the server at embedding_url serves (RAG_EMBEDDING_SERVED_MODEL); empty: the model folder's id."
  type        = string
  default     = ""
}
