variable "name" {
  description = "Deployment name, used in resource names."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the network."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "address_space" {
  description = "Address space of the virtual network (a /16: apps get a /23, the others /24s)."
  type        = string
  default     = "10.50.0.0/16"
}

variable "apps_inbound_cidrs" {
  description = "Networks allowed to reach an external Container Apps environment over HTTPS (empty for an internal one)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
