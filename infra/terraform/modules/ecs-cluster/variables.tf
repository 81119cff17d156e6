variable "name" {
  description = "Name of the ECS cluster and prefix of its GPU capacity resources."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the GPU instances."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the GPU Auto Scaling group."
  type        = list(string)
}

variable "instance_types" {
  description = "GPU instance types for the mixed instances policy, preferred first; each must fit one vLLM task."
  type        = list(string)
  default     = ["g5.xlarge"]
  validation {
    condition     = length(var.instance_types) >= 1
    error_message = "instance_types needs at least one type."
  }
}

variable "ami_ssm_parameter" {
  description = "SSM public parameter holding the ECS GPU-optimized AMI ID."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"
}

variable "root_volume_size_gb" {
  description = "gp3 root volume size: images (vLLM is ~10 GB) plus the Hugging Face model cache."
  type        = number
  default     = 200
  validation {
    condition     = var.root_volume_size_gb >= 60
    error_message = "root_volume_size_gb must be at least 60 GB for the vLLM image and one model."
  }
}

variable "min_size" {
  description = "Minimum number of GPU instances (0 lets the fleet sleep)."
  type        = number
  default     = 0
}

variable "max_size" {
  description = "Maximum number of GPU instances."
  type        = number
  default     = 4
  validation {
    condition     = var.max_size >= 1
    error_message = "max_size must be at least 1."
  }
}

variable "on_demand_base_capacity" {
  description = "Instances always bought on demand before the percentage split applies."
  type        = number
  default     = 0
}

variable "on_demand_percentage_above_base" {
  description = "Percentage of on-demand instances above the base (ADR: 20 on-demand / 80 spot)."
  type        = number
  default     = 20
  validation {
    condition     = var.on_demand_percentage_above_base >= 0 && var.on_demand_percentage_above_base <= 100
    error_message = "on_demand_percentage_above_base must be between 0 and 100."
  }
}

variable "spot_allocation_strategy" {
  description = "How spot capacity is chosen among instance_types."
  type        = string
  default     = "price-capacity-optimized"
}

variable "target_capacity" {
  description = "Capacity provider target utilisation in percent (100 = no idle spare instance)."
  type        = number
  default     = 100
}

variable "container_insights" {
  description = "Container Insights setting of the cluster: enabled or enhanced."
  type        = string
  default     = "enabled"
  validation {
    condition     = contains(["enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be enabled or enhanced."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for the ECS Exec log group and session encryption."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the ECS Exec audit log group."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
