variable "name" {
  description = "Deployment name, used in resource names."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the service."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "image" {
  description = "Groundwork serving image built from the repository's Dockerfile (`groundwork serve`, non-root, settings from the environment)."
  type        = string
}

variable "environment" {
  description = "Plain GROUNDWORK_* settings of the service, by variable name (host, port and state dir are set here)."
  type        = map(string)
}

variable "secrets" {
  description = "Settings read from Key Vault: variable name to versionless Key Vault secret ID."
  type        = map(string)
}

variable "identity_id" {
  description = "Resource ID of the serving identity (reads its Key Vault secrets, Cosmos DB Data Reader)."
  type        = string
}

variable "identity_client_id" {
  description = "Client ID of the serving identity, set as AZURE_CLIENT_ID in the container."
  type        = string
}

variable "subnet_id" {
  description = "Subnet of the Container Apps environment (a /23 or larger, delegated to Microsoft.App/environments)."
  type        = string
}

variable "internal" {
  description = "Expose the environment on a private IP only (true) or on the internet (false)."
  type        = bool
  default     = true
}

variable "container_port" {
  description = "Port the service listens on in the container (GROUNDWORK_PORT)."
  type        = number
  default     = 8000
}

variable "cpu" {
  description = "vCPU of one replica."
  type        = number
  default     = 1
}

variable "memory" {
  description = "Memory of one replica, e.g. `2Gi` (twice the vCPU in GiB)."
  type        = string
  default     = "2Gi"
}

variable "min_replicas" {
  description = "Fewest replicas."
  type        = number
  default     = 2
}

variable "max_replicas" {
  description = "Most replicas."
  type        = number
  default     = 10
}

variable "concurrent_requests_per_replica" {
  description = "Concurrent requests per replica above which a replica is added."
  type        = number
  default     = 100
}

variable "log_retention_days" {
  description = "Days Log Analytics keeps the logs."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
