variable "name" {
  description = "Deployment name; secrets are named `<name>/<key>`."
  type        = string
}

variable "secrets" {
  description = "Secrets to create, by key, with a description of what an operator puts in them."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secrets."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every secret."
  type        = map(string)
  default     = {}
}
