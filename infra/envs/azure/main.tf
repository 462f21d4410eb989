# Groundwork on Azure: Cosmos DB (online store, one container per feature
# view), Azure Cache for Redis (optional low-latency store), Container Apps
# (serving), a Synapse Spark pool (feature jobs and sync) with its ADLS Gen2
# lake, PostgreSQL flexible server (catalog), Key Vault, managed identities.
# The per-view inputs are in views.auto.tfvars.json (`groundwork infra generate`).

resource "random_string" "suffix" {
  length  = 6
  upper   = false
  special = false
}

resource "random_password" "catalog" {
  length  = 40
  special = false
}

locals {
  unique     = "${var.name}${random_string.suffix.result}"
  tags       = merge(var.tags, { "groundwork-deployment" = var.name })
  secret_ids = module.key_vault.secret_ids

  secrets = {
    "cosmos-read-only-key"  = module.cosmos.read_only_key
    "cosmos-read-write-key" = module.cosmos.read_write_key
    "redis-password"        = module.redis.password
    "catalog-url"           = module.postgres.catalog_url
  }

  secret_readers = {
    "cosmos-read-only-key"  = { serving = module.identity.serving_principal_id }
    "cosmos-read-write-key" = { sync = module.identity.sync_principal_id }
    "redis-password"        = { serving = module.identity.serving_principal_id, sync = module.identity.sync_principal_id }
    "catalog-url"           = { serving = module.identity.serving_principal_id, sync = module.identity.sync_principal_id }
  }

  groundwork_environment = merge(
    {
      GROUNDWORK_ENVIRONMENT         = "production"
      GROUNDWORK_STORE__TYPE         = "cosmos"
      GROUNDWORK_STORE__ENDPOINT     = module.cosmos.endpoint
      GROUNDWORK_STORE__DATABASE     = module.cosmos.database
      GROUNDWORK_STORES__REDIS__TYPE = "redis"
      GROUNDWORK_STORES__REDIS__URL  = module.redis.url
    },
    var.container_prefix == "" ? {} : { GROUNDWORK_STORE__CONTAINER_PREFIX = var.container_prefix },
    { for view in var.redis_views : "GROUNDWORK_VIEW_STORES__${view}" => "redis" },
  )

  serving_secrets = {
    GROUNDWORK_STORE__KEY              = local.secret_ids["cosmos-read-only-key"]
    GROUNDWORK_CATALOG_URL             = local.secret_ids["catalog-url"]
    GROUNDWORK_STORES__REDIS__PASSWORD = local.secret_ids["redis-password"]
  }

  sync_secrets = merge(local.serving_secrets, {
    GROUNDWORK_STORE__KEY = local.secret_ids["cosmos-read-write-key"]
  })
}

resource "azurerm_resource_group" "this" {
  name     = coalesce(var.resource_group_name, "${var.name}-rg")
  location = var.location
  tags     = local.tags
}

module "network" {
  source = "../../modules/azure/network"

  name                = var.name
  resource_group_name = azurerm_resource_group.this.name
  location            = var.location
  address_space       = var.address_space
  apps_inbound_cidrs  = var.internal ? [] : var.allowed_cidr_blocks
  tags                = local.tags
}

module "identity" {
  source = "../../modules/azure/identity"

  name                = var.name
  resource_group_name = azurerm_resource_group.this.name
  location            = var.location
  tags                = local.tags
}

module "cosmos" {
  source = "../../modules/azure/cosmos"

  account_name               = "${var.name}-${random_string.suffix.result}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = var.location
  failover_locations         = var.failover_locations
  database                   = var.cosmos_database
  feature_views              = var.feature_views
  serving_principal_id       = module.identity.serving_principal_id
  sync_principal_id          = module.identity.sync_principal_id
  private_endpoint_subnet_id = module.network.endpoints_subnet_id
  private_dns_zone_id        = module.network.private_dns_zone_ids["cosmos"]
  tags                       = local.tags
}

module "redis" {
  source = "../../modules/azure/redis"

  cache_name                 = "${var.name}-${random_string.suffix.result}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = var.location
  sku_name                   = var.redis_sku_name
  private_endpoint_subnet_id = module.network.endpoints_subnet_id
  private_dns_zone_id        = module.network.private_dns_zone_ids["redis"]
  tags                       = local.tags
}

module "postgres" {
  source = "../../modules/azure/postgres"

  server_name            = "${var.name}-${random_string.suffix.result}"
  resource_group_name    = azurerm_resource_group.this.name
  location               = var.location
  sku_name               = var.catalog_sku_name
  delegated_subnet_id    = module.network.postgres_subnet_id
  private_dns_zone_id    = module.network.private_dns_zone_ids["postgres"]
  administrator_password = random_password.catalog.result
  tags                   = local.tags
}

module "key_vault" {
  source = "../../modules/azure/key_vault"

  vault_name                 = "${substr(var.name, 0, 16)}-${random_string.suffix.result}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = var.location
  secret_names               = keys(local.secret_readers)
  secret_values              = local.secrets
  secret_readers             = local.secret_readers
  allowed_ip_ranges          = var.deployer_ip_ranges
  private_endpoint_subnet_id = module.network.endpoints_subnet_id
  private_dns_zone_id        = module.network.private_dns_zone_ids["key_vault"]
  tags                       = local.tags
}

module "spark" {
  source = "../../modules/azure/spark"

  workspace_name       = "${replace(var.name, "-", "")}${random_string.suffix.result}"
  storage_account_name = substr("${replace(var.name, "-", "")}lake${random_string.suffix.result}", 0, 24)
  resource_group_name  = azurerm_resource_group.this.name
  location             = var.location
  sync_identity_id     = module.identity.sync_id
  sync_principal_id    = module.identity.sync_principal_id
  cosmos_account_id    = module.cosmos.account_id
  tags                 = local.tags
}

module "serving" {
  source = "../../modules/azure/serving"

  name                = var.name
  resource_group_name = azurerm_resource_group.this.name
  location            = var.location
  image               = var.image
  environment         = local.groundwork_environment
  secrets             = local.serving_secrets
  identity_id         = module.identity.serving_id
  identity_client_id  = module.identity.serving_client_id
  subnet_id           = module.network.apps_subnet_id
  internal            = var.internal
  min_replicas        = var.min_replicas
  max_replicas        = var.max_replicas
  tags                = local.tags
}
