variable "name" {
  description = "Deployment name, used in resource names and Name tags."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC (a /16: subnets are /24s carved from it)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over, by name (at least two: the ALB, ElastiCache and RDS need two). Named, not discovered, so the set never changes under you."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "At least two availability zones are needed."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the VPC flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
