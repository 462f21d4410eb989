output "catalog_url_secret_arn" {
  description = "Secrets Manager secret holding the catalog's SQLAlchemy URL (GROUNDWORK_CATALOG_URL)."
  value       = aws_secretsmanager_secret.catalog_url.arn
}

output "address" {
  description = "Host name of the PostgreSQL instance."
  value       = aws_db_instance.this.address
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.database.id
}
