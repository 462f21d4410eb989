variable "cache_name" {
  description = "Cache name (globally unique)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the cache."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "sku_name" {
  description = "Basic, Standard (replicated) or Premium."
  type        = string
  default     = "Standard"
}

variable "capacity" {
  description = "Cache size within the SKU family (C0 to C6, P1 to P5)."
  type        = number
  default     = 1
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the cache's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone privatelink.redis.cache.windows.net."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
