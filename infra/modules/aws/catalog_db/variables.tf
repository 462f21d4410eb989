variable "name" {
  description = "Deployment name, used in resource names."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two zones or more) of the database subnet group."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a short name used in rule descriptions."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the URL secret."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major version (or major.minor)."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "allocated_storage" {
  description = "Initial storage in GiB; storage autoscaling may grow it to five times this."
  type        = number
  default     = 20
}

variable "database" {
  description = "Name of the catalog database."
  type        = string
  default     = "groundwork"
}

variable "username" {
  description = "Master user name."
  type        = string
  default     = "groundwork"
}

variable "multi_az" {
  description = "Keep a synchronous standby in a second zone."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "recovery_window_in_days" {
  description = "Days a deleted URL secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
