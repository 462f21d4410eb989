# One customer-managed KMS key for the deployment: DynamoDB tables, the
# feature-table bucket, ElastiCache, RDS, Secrets Manager and CloudWatch logs.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  logs_arn     = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*"
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109: a key policy's "*" resource is this key alone; the account root statement is the AWS default that lets IAM policies grant use of the key
  #checkov:skip=CKV_AWS_111: "*" in a key policy is this key alone, and writes to it are granted per role by IAM policies naming its ARN
  #checkov:skip=CKV_AWS_356: a key policy cannot name the key's own ARN before the key exists; "*" (this key) is the documented form
  # In a key policy, "*" as resource means this key; account principals still
  # need IAM permissions of their own (the module roles grant them per key ARN).
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptLogGroups"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.logs_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: feature tables, online stores, catalog, secrets and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
