# Secrets Manager secrets whose values Terraform never sees: the bearer tokens
# that `groundwork register` issues (stored only as hashes in the catalog) are
# put here by an operator, for the agents and clients deployed beside the
# service. Generated secrets (Redis auth token, catalog URL) live in the
# modules that create them.

resource "aws_secretsmanager_secret" "this" {
  for_each = var.secrets

  #checkov:skip=CKV2_AWS_57: bearer tokens are rotated by issuing a new one with `groundwork register` and revoking the old one in the catalog; no rotation Lambda can do that
  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}
