# ElastiCache for Redis: a primary and a replica in two zones, TLS in transit,
# AUTH token, encryption at rest with the deployment's KMS key. The token is
# generated once and kept in Secrets Manager; the app reads it as the store
# password (GROUNDWORK_STORES__REDIS__PASSWORD).

data "aws_secretsmanager_random_password" "auth_token" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "auth_token" {
  #checkov:skip=CKV2_AWS_57: rotating the token needs a coordinated ElastiCache AUTH rotation (SET then ROTATE); run it as an operation, not a Lambda
  name                    = "${var.name}/redis-auth-token"
  description             = "AUTH token of the ElastiCache replication group ${var.name}."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id     = aws_secretsmanager_secret.auth_token.id
  secret_string = data.aws_secretsmanager_random_password.auth_token.random_password

  # The data source draws a new password on every plan; keep the first one.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "ElastiCache for Redis of ${var.name}: TLS port from the serving tasks and Spark jobs only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.redis.id
  description                  = "Redis over TLS from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = var.name
  description                = "Groundwork online store (Redis) of ${var.name}"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  port                       = var.port
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.redis.id]
  transit_encryption_enabled = true
  auth_token                 = aws_secretsmanager_secret_version.auth_token.secret_string
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
  apply_immediately          = false
  tags                       = var.tags
}
