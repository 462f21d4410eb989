variable "name" {
  description = "Deployment name; the replication group ID (at most 40 characters)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the replication group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two zones or more) the nodes run in."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a short name used in rule descriptions."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest and for the AUTH token secret."
  type        = string
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "port" {
  description = "Port Redis listens on (TLS)."
  type        = number
  default     = 6379
}

variable "recovery_window_in_days" {
  description = "Days a deleted AUTH token secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
