# Spark for the feature jobs and the sync: an EMR Serverless application in
# the private subnets, and the S3 bucket holding raw data (raw/), the feature
# tables (feature_tables/), job code (jobs/) and job logs (logs/).
# Encrypted with the deployment's KMS key, versioned, never public, TLS only.

data "aws_caller_identity" "current" {}

locals {
  bucket_name = coalesce(var.bucket_name, "${var.name}-features-${data.aws_caller_identity.current.account_id}")
}

resource "aws_s3_bucket" "features" {
  #checkov:skip=CKV_AWS_18: server access logs need a second bucket per deployment; record data access with CloudTrail S3 data events instead
  #checkov:skip=CKV_AWS_144: feature tables are recomputed from the raw data by the Spark jobs; cross-region replication is a per-deployment choice
  #checkov:skip=CKV2_AWS_62: nothing consumes bucket events; the Spark jobs are scheduled, not triggered by objects
  bucket        = local.bucket_name
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "features" {
  bucket = aws_s3_bucket.features.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "features" {
  bucket = aws_s3_bucket.features.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "features" {
  bucket                  = aws_s3_bucket.features.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "features" {
  bucket = aws_s3_bucket.features.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "features" {
  bucket = aws_s3_bucket.features.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.features]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.features.arn, "${aws_s3_bucket.features.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "features" {
  bucket = aws_s3_bucket.features.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.features]
}

resource "aws_security_group" "jobs" {
  #checkov:skip=CKV2_AWS_5: attached to the EMR Serverless application (network_configuration below), a link the check does not follow
  name        = "${var.name}-spark-jobs"
  description = "EMR Serverless Spark jobs of ${var.name}: outbound only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "jobs_https" {
  security_group_id = aws_security_group.jobs.id
  description       = "HTTPS to AWS APIs (S3 and DynamoDB through gateway endpoints, the rest through NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "jobs_in_vpc" {
  for_each = toset([for port in var.vpc_ports : tostring(port)])

  security_group_id = aws_security_group.jobs.id
  description       = "Port ${each.key} inside the VPC (Redis, catalog PostgreSQL)"
  cidr_ipv4         = var.vpc_cidr_block
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
}

resource "aws_emrserverless_application" "spark" {
  name          = "${var.name}-spark"
  release_label = var.release_label
  type          = "spark"
  architecture  = "ARM64"
  tags          = var.tags

  maximum_capacity {
    cpu    = var.maximum_cpu
    memory = var.maximum_memory
  }

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = 15
  }

  network_configuration {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.jobs.id]
  }
}
