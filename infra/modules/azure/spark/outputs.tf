output "workspace_name" {
  description = "Name of the Synapse workspace."
  value       = azurerm_synapse_workspace.this.name
}

output "spark_pool_name" {
  description = "Name of the Spark pool that runs the feature jobs and `groundwork sync`."
  value       = azurerm_synapse_spark_pool.this.name
}

output "feature_tables_uri" {
  description = "abfss:// URI of the feature tables (one directory per view)."
  value       = "abfss://${azurerm_storage_container.lake.name}@${azurerm_storage_account.lake.name}.dfs.core.windows.net/feature_tables"
}
