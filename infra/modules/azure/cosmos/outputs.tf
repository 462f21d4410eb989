output "endpoint" {
  description = "Account endpoint (GROUNDWORK_STORE__ENDPOINT)."
  value       = azurerm_cosmosdb_account.this.endpoint
}

output "database" {
  description = "SQL database name (GROUNDWORK_STORE__DATABASE)."
  value       = azurerm_cosmosdb_sql_database.this.name
}

output "container_names" {
  description = "Container of each feature view, by view name."
  value       = { for view, container in azurerm_cosmosdb_sql_container.feature_view : view => container.name }
}

output "read_only_key" {
  description = "Read-only account key, for the serving tier (GROUNDWORK_STORE__KEY of the service)."
  value       = azurerm_cosmosdb_account.this.primary_readonly_key
  sensitive   = true
}

output "read_write_key" {
  description = "Read-write account key, for `groundwork sync` (GROUNDWORK_STORE__KEY of the sync job)."
  value       = azurerm_cosmosdb_account.this.primary_key
  sensitive   = true
}

output "account_id" {
  description = "Resource ID of the Cosmos DB account."
  value       = azurerm_cosmosdb_account.this.id
}
