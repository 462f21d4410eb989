# One on-demand DynamoDB table per feature view, exactly as `groundwork sync`
# (sync/dynamodb.py) expects it: table `<table_prefix>_<view>`, partition key
# `entity_key` (S), TTL on `expires_at` (epoch seconds) for views with a TTL.
# The per-view inputs come from `groundwork infra generate`.

resource "aws_dynamodb_table" "feature_view" {
  for_each = var.feature_views

  name                        = each.value.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.partition_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = each.value.partition_key
    type = each.value.partition_key_type
  }

  ttl {
    enabled        = each.value.ttl_seconds != null
    attribute_name = each.value.ttl_seconds != null ? each.value.ttl_attribute : null
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = merge(var.tags, {
    "groundwork:feature-view" = each.key
    "groundwork:entity-key"   = each.value.entity_key
  })
}
