variable "server_name" {
  description = "Server name (globally unique)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the server."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "postgres_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "sku_name" {
  description = "Compute SKU, e.g. B_Standard_B1ms, GP_Standard_D2ds_v5."
  type        = string
  default     = "GP_Standard_D2ds_v5"
}

variable "storage_mb" {
  description = "Initial storage in MB (it grows by itself)."
  type        = number
  default     = 32768
}

variable "backup_retention_days" {
  description = "Days of point-in-time backups (7 to 35)."
  type        = number
  default     = 14
}

variable "high_availability" {
  description = "Keep a zone-redundant standby."
  type        = bool
  default     = true
}

variable "delegated_subnet_id" {
  description = "Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone `<name>.private.postgres.database.azure.com`, linked to the virtual network."
  type        = string
}

variable "administrator_login" {
  description = "Administrator user name."
  type        = string
  default     = "groundwork"
}

variable "administrator_password" {
  description = "Administrator password."
  type        = string
  sensitive   = true
}

variable "database" {
  description = "Name of the catalog database."
  type        = string
  default     = "groundwork"
}

variable "tags" {
  description = "Tags added to the server."
  type        = map(string)
  default     = {}
}
