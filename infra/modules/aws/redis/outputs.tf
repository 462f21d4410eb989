output "url" {
  description = "rediss:// URL of the primary endpoint, without the password (GROUNDWORK_STORES__REDIS__URL)."
  value       = "rediss://${aws_elasticache_replication_group.this.primary_endpoint_address}:${var.port}/0"
}

output "auth_token_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token (GROUNDWORK_STORES__REDIS__PASSWORD)."
  value       = aws_secretsmanager_secret.auth_token.arn
}

output "security_group_id" {
  description = "Security group of the replication group."
  value       = aws_security_group.redis.id
}
