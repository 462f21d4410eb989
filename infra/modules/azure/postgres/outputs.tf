output "fqdn" {
  description = "Host name of the server (resolves inside the virtual network)."
  value       = azurerm_postgresql_flexible_server.this.fqdn
}

output "catalog_url" {
  description = "SQLAlchemy URL of the catalog, password included (GROUNDWORK_CATALOG_URL)."
  value       = "postgresql+psycopg://${var.administrator_login}:${urlencode(var.administrator_password)}@${azurerm_postgresql_flexible_server.this.fqdn}:5432/${azurerm_postgresql_flexible_server_database.catalog.name}?sslmode=require"
  sensitive   = true
}
