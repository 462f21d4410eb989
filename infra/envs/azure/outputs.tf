output "groundwork_environment" {
  description = "Plain GROUNDWORK_* settings of the service and of `groundwork sync`, by variable name (the Container App already has them)."
  value       = local.groundwork_environment
}

output "groundwork_secrets" {
  description = "GROUNDWORK_* settings of the service held in Key Vault: variable name to secret ID (GROUNDWORK_STORE__KEY is the read-only Cosmos DB key)."
  value       = local.serving_secrets
}

output "sync_secrets" {
  description = "GROUNDWORK_* settings of `groundwork sync` held in Key Vault: as groundwork_secrets, but GROUNDWORK_STORE__KEY is the read-write key."
  value       = local.sync_secrets
}

output "api_url" {
  description = "Base URL of the REST API (`groundwork ask --url`)."
  value       = module.serving.url
}

output "container_names" {
  description = "Cosmos DB container of each feature view, by view name."
  value       = module.cosmos.container_names
}

output "key_vault_uri" {
  description = "URI of the Key Vault holding the app's secrets."
  value       = module.key_vault.vault_uri
}

output "feature_tables_uri" {
  description = "abfss:// URI of the feature tables (one directory per view)."
  value       = module.spark.feature_tables_uri
}

output "synapse_workspace" {
  description = "Synapse workspace that runs the feature jobs and `groundwork sync`."
  value       = module.spark.workspace_name
}

output "spark_pool" {
  description = "Spark pool of that workspace."
  value       = module.spark.spark_pool_name
}

output "sync_identity_id" {
  description = "Resource ID of the sync identity (attached to the Synapse workspace; Cosmos DB Data Contributor)."
  value       = module.identity.sync_id
}
