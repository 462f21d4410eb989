variable "name" {
  description = "Deployment name; identities are `<name>-serving` and `<name>-sync`."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the identities."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "tags" {
  description = "Tags added to every identity."
  type        = map(string)
  default     = {}
}
