# Least-privilege roles. Every statement names its actions and its resources:
#   serving  (ECS task role)      reads the feature tables, nothing else;
#   sync     (EMR Serverless job) writes the feature tables, reads feature_tables/;
#   compute  (EMR Serverless job) reads raw/, writes feature_tables/, no DynamoDB;
#   task execution (ECS agent)    pulls the image, writes logs, reads the app's secrets.

locals {
  table_arns     = sort(values(var.table_arns))
  bucket_objects = "${var.bucket_arn}/*"
}

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "emr_serverless_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }
  }
}

# --- serving: read the feature tables -------------------------------------

data "aws_iam_policy_document" "serving" {
  statement {
    sid       = "ReadFeatureTables"
    actions   = ["dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem"]
    resources = local.table_arns
  }
}

resource "aws_iam_role" "serving" {
  name               = "${var.name}-serving"
  description        = "Groundwork REST service: reads the feature tables"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "serving" {
  name   = "read-feature-tables"
  role   = aws_iam_role.serving.id
  policy = data.aws_iam_policy_document.serving.json
}

# --- sync: write the feature tables from the feature-table files ------------

data "aws_iam_policy_document" "sync" {
  statement {
    sid       = "WriteFeatureTables"
    actions   = ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:PutItem"]
    resources = local.table_arns
  }

  statement {
    sid       = "ReadFeatureTableFilesAndJobCode"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/feature_tables/*", "${var.bucket_arn}/jobs/*"]
  }

  statement {
    sid       = "ListFeatureTableFiles"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["feature_tables/*", "jobs/*"]
    }
  }

  statement {
    sid       = "WriteJobLogs"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arn}/logs/*"]
  }

  statement {
    sid       = "ReadStoreAndCatalogSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.sync_secret_arns
  }

  statement {
    sid       = "UseDeploymentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "sync" {
  name               = "${var.name}-sync"
  description        = "groundwork sync on EMR Serverless: writes the feature tables"
  assume_role_policy = data.aws_iam_policy_document.emr_serverless_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "sync" {
  name   = "write-feature-tables"
  role   = aws_iam_role.sync.id
  policy = data.aws_iam_policy_document.sync.json
}

# --- compute: the Spark jobs that build the feature tables ------------------

data "aws_iam_policy_document" "compute" {
  statement {
    sid       = "ReadRawDataAndJobCode"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/raw/*", "${var.bucket_arn}/jobs/*", "${var.bucket_arn}/feature_tables/*"]
  }

  statement {
    sid       = "WriteFeatureTableFilesAndLogs"
    actions   = ["s3:DeleteObject", "s3:PutObject"]
    resources = ["${var.bucket_arn}/feature_tables/*", "${var.bucket_arn}/logs/*"]
  }

  statement {
    sid       = "ListRawDataAndFeatureTables"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["raw/*", "feature_tables/*", "jobs/*"]
    }
  }

  statement {
    sid       = "UseDeploymentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "compute" {
  name               = "${var.name}-compute"
  description        = "Feature Spark jobs on EMR Serverless: raw data in, feature tables out"
  assume_role_policy = data.aws_iam_policy_document.emr_serverless_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "compute" {
  name   = "build-feature-tables"
  role   = aws_iam_role.compute.id
  policy = data.aws_iam_policy_document.compute.json
}

# --- task execution: what ECS itself needs to start the serving task --------

data "aws_iam_policy_document" "task_execution" {
  statement {
    sid       = "InjectAppSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.serving_secret_arns
  }

  statement {
    sid       = "DecryptAppSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "task_execution" {
  name               = "${var.name}-task-execution"
  description        = "ECS agent for the Groundwork service: image, logs, secrets"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

# AWS-managed: ECR pull (ecr:GetAuthorizationToken has no resource-level
# permission) and CloudWatch Logs writes.
resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "inject-app-secrets"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}
