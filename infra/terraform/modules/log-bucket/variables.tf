variable "name" {
  description = "Globally unique bucket name for ALB access logs and S3 server access logs."
  type        = string
}

variable "expiration_days" {
  description = "Days after which log objects are deleted."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds logs."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
