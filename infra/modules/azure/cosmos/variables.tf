variable "account_name" {
  description = "Cosmos DB account name (globally unique, 3 to 44 lowercase letters, digits, hyphens)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the account."
  type        = string
}

variable "location" {
  description = "Azure region of the account's write region."
  type        = string
}

variable "failover_locations" {
  description = "Further read regions, in failover order."
  type        = list(string)
  default     = []
}

variable "zone_redundant" {
  description = "Spread the write region over availability zones."
  type        = bool
  default     = true
}

variable "database" {
  description = "SQL database name (GROUNDWORK_STORE__DATABASE)."
  type        = string
  default     = "groundwork"
}

variable "feature_views" {
  description = "Feature views by name, from views.auto.tfvars.json (`groundwork infra generate`): container name, partition key path (`/pk`), default TTL (-1) and the view's TTL in seconds."
  type = map(object({
    container_name     = string
    entity_key         = string
    partition_key_path = string
    default_ttl        = number
    ttl_seconds        = optional(number)
  }))

  validation {
    condition     = alltrue([for view in values(var.feature_views) : view.partition_key_path == "/pk" && view.default_ttl == -1])
    error_message = "The store partitions on /pk and sets a ttl per item (default TTL -1); regenerate the inputs with `groundwork infra generate`."
  }
}

variable "max_throughput" {
  description = "Autoscale ceiling of each container, in RU/s (it scales down to a tenth of this)."
  type        = number
  default     = 4000
}

variable "serving_principal_id" {
  description = "Principal ID of the serving identity (gets Cosmos DB Built-in Data Reader on every container)."
  type        = string
}

variable "sync_principal_id" {
  description = "Principal ID of the sync identity (gets Cosmos DB Built-in Data Contributor on every container)."
  type        = string
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the account's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone privatelink.documents.azure.com."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
