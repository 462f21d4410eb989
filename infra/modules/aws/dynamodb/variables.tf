variable "feature_views" {
  description = "Feature views by name, from views.auto.tfvars.json (`groundwork infra generate`): table name, partition key and its type, TTL attribute and the view's TTL in seconds (null when values never expire)."
  type = map(object({
    table_name         = string
    entity_key         = string
    partition_key      = string
    partition_key_type = string
    ttl_attribute      = string
    ttl_seconds        = optional(number)
  }))

  validation {
    condition     = alltrue([for view in values(var.feature_views) : view.partition_key == "entity_key" && view.partition_key_type == "S"])
    error_message = "The store writes the partition key `entity_key` as a string (S); regenerate the inputs with `groundwork infra generate`."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the tables."
  type        = string
}

variable "point_in_time_recovery" {
  description = "Keep continuous backups (point-in-time recovery, 35 days) of every table."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every table."
  type        = map(string)
  default     = {}
}
