# Groundwork on AWS: DynamoDB (online store, one table per feature view),
# ElastiCache for Redis (optional low-latency store), ECS Fargate behind an ALB
# (serving), EMR Serverless (Spark feature jobs and sync) with an S3 bucket for
# the feature tables, RDS PostgreSQL (catalog), Secrets Manager, one KMS key.
# The per-view inputs are in views.auto.tfvars.json (`groundwork infra generate`).

locals {
  client_security_groups = {
    serving = module.serving.security_group_id
    spark   = module.spark.security_group_id
  }

  groundwork_environment = merge(
    {
      GROUNDWORK_ENVIRONMENT               = "production"
      GROUNDWORK_STORE__TYPE               = "dynamodb"
      GROUNDWORK_STORE__REGION             = var.region
      GROUNDWORK_STORE__TABLE_PREFIX       = var.table_prefix
      GROUNDWORK_STORES__REDIS__TYPE       = "redis"
      GROUNDWORK_STORES__REDIS__URL        = module.redis.url
      GROUNDWORK_STORES__REDIS__KEY_PREFIX = var.redis_key_prefix
    },
    { for view in var.redis_views : "GROUNDWORK_VIEW_STORES__${view}" => "redis" },
  )

  groundwork_secrets = {
    GROUNDWORK_CATALOG_URL             = module.catalog_db.catalog_url_secret_arn
    GROUNDWORK_STORES__REDIS__PASSWORD = module.redis.auth_token_secret_arn
  }
}

module "kms" {
  source = "../../modules/aws/kms"

  name = var.name
}

module "network" {
  source = "../../modules/aws/network"

  name               = var.name
  availability_zones = var.availability_zones
  cidr_block         = var.vpc_cidr_block
  kms_key_arn        = module.kms.key_arn
}

module "dynamodb" {
  source = "../../modules/aws/dynamodb"

  feature_views          = var.feature_views
  kms_key_arn            = module.kms.key_arn
  point_in_time_recovery = true
  deletion_protection    = var.deletion_protection
}

module "spark" {
  source = "../../modules/aws/spark"

  name           = var.name
  kms_key_arn    = module.kms.key_arn
  vpc_id         = module.network.vpc_id
  vpc_cidr_block = module.network.vpc_cidr_block
  subnet_ids     = module.network.private_subnet_ids
  release_label  = var.emr_release_label
}

module "redis" {
  source = "../../modules/aws/redis"

  name                      = var.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = local.client_security_groups
  kms_key_arn               = module.kms.key_arn
  node_type                 = var.redis_node_type
}

module "catalog_db" {
  source = "../../modules/aws/catalog_db"

  name                      = var.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = local.client_security_groups
  kms_key_arn               = module.kms.key_arn
  instance_class            = var.catalog_instance_class
  deletion_protection       = var.deletion_protection
}

module "secrets" {
  source = "../../modules/aws/secrets"

  name        = var.name
  kms_key_arn = module.kms.key_arn
  secrets = {
    for principal in var.agent_principals :
    "tokens/${principal}" => "Bearer token of the ${principal} principal, as `groundwork register` (or the catalog admin) issued it."
  }
}

module "iam" {
  source = "../../modules/aws/iam"

  name                = var.name
  table_arns          = module.dynamodb.table_arns
  bucket_arn          = module.spark.bucket_arn
  kms_key_arn         = module.kms.key_arn
  serving_secret_arns = values(local.groundwork_secrets)
  sync_secret_arns    = values(local.groundwork_secrets)
}

module "serving" {
  source = "../../modules/aws/serving"

  name                = var.name
  image               = var.image
  environment         = local.groundwork_environment
  secrets             = local.groundwork_secrets
  task_role_arn       = module.iam.serving_role_arn
  execution_role_arn  = module.iam.task_execution_role_arn
  kms_key_arn         = module.kms.key_arn
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  private_subnet_ids  = module.network.private_subnet_ids
  public_subnet_ids   = module.network.public_subnet_ids
  internal            = var.internal_load_balancer
  allowed_cidr_blocks = var.allowed_cidr_blocks
  certificate_arn     = var.certificate_arn
  min_tasks           = var.min_tasks
  max_tasks           = var.max_tasks
  deletion_protection = var.deletion_protection
}
