variable "name" {
  description = "Deployment name; the key's alias is `alias/<name>`."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days a deleted key can still be recovered (7 to 30)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to the key."
  type        = map(string)
  default     = {}
}
