variable "vault_name" {
  description = "Key Vault name (globally unique, 3 to 24 letters, digits, hyphens)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the vault."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "secret_names" {
  description = "Names of the secrets to store (the keys of secret_values)."
  type        = list(string)
}

variable "secret_values" {
  description = "Secret values by name."
  type        = map(string)
  sensitive   = true
}

variable "secret_readers" {
  description = "For each secret name, the principals (short name => principal ID) allowed to read it."
  type        = map(map(string))
}

variable "allowed_ip_ranges" {
  description = "Public IP ranges (CIDR) of the principals that run Terraform; everything else reaches the vault through its private endpoint."
  type        = list(string)
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the vault's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone privatelink.vaultcore.azure.net."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
