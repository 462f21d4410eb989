variable "workspace_name" {
  description = "Synapse workspace name (globally unique, lowercase letters and digits)."
  type        = string
}

variable "storage_account_name" {
  description = "Name of the ADLS Gen2 account (globally unique, 3 to 24 lowercase letters and digits)."
  type        = string
}

variable "pool_name" {
  description = "Spark pool name (letters and digits, at most 15)."
  type        = string
  default     = "groundwork"
}

variable "resource_group_name" {
  description = "Resource group of the workspace."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "replication_type" {
  description = "Replication of the lake: LRS, ZRS, GRS, GZRS."
  type        = string
  default     = "ZRS"
}

variable "node_size" {
  description = "Spark node size: Small, Medium, Large, XLarge."
  type        = string
  default     = "Small"
}

variable "max_nodes" {
  description = "Most nodes the pool may scale to (at least 3)."
  type        = number
  default     = 10
}

variable "spark_version" {
  description = "Synapse Spark runtime version (its Spark must run the project's PySpark jobs)."
  type        = string
  default     = "3.4"
}

variable "sync_identity_id" {
  description = "Resource ID of the sync identity, attached to the workspace."
  type        = string
}

variable "sync_principal_id" {
  description = "Principal ID of the sync identity (reads and writes the lake)."
  type        = string
}

variable "cosmos_account_id" {
  description = "Resource ID of the Cosmos DB account the sync writes to."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
