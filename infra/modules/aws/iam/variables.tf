variable "name" {
  description = "Deployment name; roles are named `<name>-<role>`."
  type        = string
}

variable "table_arns" {
  description = "ARN of each feature view's DynamoDB table, by view name."
  type        = map(string)
}

variable "bucket_arn" {
  description = "ARN of the bucket holding raw data, feature tables, job code and logs."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the deployment's KMS key."
  type        = string
}

variable "serving_secret_arns" {
  description = "Secrets ECS injects into the serving task (catalog URL, Redis AUTH token)."
  type        = list(string)
}

variable "sync_secret_arns" {
  description = "Secrets the sync job reads (catalog URL for its watermarks, Redis AUTH token)."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every role."
  type        = map(string)
  default     = {}
}
