variable "name" {
  description = "Globally unique name of the index bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key ARN for default bucket encryption."
  type        = string
}

variable "access_logs_bucket" {
  description = "Bucket receiving S3 server access logs (prefix s3/<name>/)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days old index versions are kept after being overwritten or deleted (rollback window)."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds index versions."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
