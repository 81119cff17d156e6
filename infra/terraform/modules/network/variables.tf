variable "name" {
  description = "Name prefix for every network resource."
  type        = string
}

variable "cidr" {
  description = "VPC CIDR block; split into /20 public and private subnets per AZ."
  type        = string
  default     = "10.40.0.0/16"
  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) <= 20
    error_message = "cidr must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "azs" {
  description = "Availability zones to spread subnets over (at least two, for the ALBs)."
  type        = list(string)
  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 4
    error_message = "azs must list 2 to 4 availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway shared by all private subnets (cheaper) instead of one per AZ (AZ-resilient)."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Interface VPC endpoints for ECR, CloudWatch Logs, Secrets Manager, ECS and STS so that traffic to them stays off the NAT."
  type        = bool
  default     = true
}

variable "interface_endpoint_services" {
  description = "Service short names that get an interface endpoint when enable_interface_endpoints is true."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ecs", "ecs-agent", "ecs-telemetry", "sts"]
}

variable "kms_key_arn" {
  description = "KMS key ARN that encrypts the flow-log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Retention of VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
