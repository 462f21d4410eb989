output "apps_subnet_id" {
  description = "Subnet of the Container Apps environment."
  value       = azurerm_subnet.apps.id
}

output "postgres_subnet_id" {
  description = "Delegated subnet of the PostgreSQL flexible server."
  value       = azurerm_subnet.postgres.id
}

output "endpoints_subnet_id" {
  description = "Subnet of the private endpoints."
  value       = azurerm_subnet.endpoints.id
}

output "private_dns_zone_ids" {
  description = "Private DNS zone IDs by service: cosmos, redis, key_vault, postgres."
  value       = { for key, zone in azurerm_private_dns_zone.this : key => zone.id }
}
