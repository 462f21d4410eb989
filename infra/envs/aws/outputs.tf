output "groundwork_environment" {
  description = "Plain GROUNDWORK_* settings of the service and of `groundwork sync`, by variable name (the serving task already has them)."
  value       = local.groundwork_environment
}

output "groundwork_secrets" {
  description = "GROUNDWORK_* settings held in Secrets Manager: variable name to secret ARN (GROUNDWORK_CATALOG_URL, GROUNDWORK_STORES__REDIS__PASSWORD)."
  value       = local.groundwork_secrets
}

output "api_url" {
  description = "Base URL of the REST API (agents' GROUNDWORK base URL; `groundwork ask --url`)."
  value       = module.serving.url
}

output "table_names" {
  description = "DynamoDB table of each feature view, by view name."
  value       = module.dynamodb.table_names
}

output "feature_tables_uri" {
  description = "S3 URI of the feature tables (one prefix per view)."
  value       = module.spark.feature_tables_uri
}

output "spark_application_id" {
  description = "EMR Serverless application that runs the feature jobs and `groundwork sync`."
  value       = module.spark.application_id
}

output "sync_role_arn" {
  description = "Execution role to start `groundwork sync` job runs with (writes the feature tables)."
  value       = module.iam.sync_role_arn
}

output "compute_role_arn" {
  description = "Execution role to start the feature Spark job runs with."
  value       = module.iam.compute_role_arn
}

output "token_secret_arns" {
  description = "Secrets Manager secret of each agent principal's bearer token."
  value       = module.secrets.secret_arns
}

output "ecs_cluster_name" {
  description = "ECS cluster of the serving tier."
  value       = module.serving.cluster_name
}
