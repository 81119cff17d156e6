variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "rag-mini"
}

variable "gateway_image" {
  description = "Gateway image built from docker/gateway.Dockerfile."
  type        = string
}

variable "indexer_image" {
  description = "Indexer image built from docker/indexer.Dockerfile."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener."
  type        = string
}

variable "api_key_digests_secret_arn" {
  description = "Secrets Manager ARN holding RAG_API_KEY_DIGESTS."
  type        = string
}

variable "lambda_package_path" {
  description = "Zip of the warm-up Lambda."
  type        = string
  default     = "../../../../build/warmup.zip"
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling (off only against the emulator)."
  type        = bool
  default     = true
}
