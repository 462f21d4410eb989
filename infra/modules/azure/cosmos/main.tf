# Cosmos DB (SQL API) exactly as `groundwork sync` (sync/cosmos.py) expects it:
# database `<database>`, one container `<container_prefix><view>` per feature
# view, partitioned on `/pk`, default TTL -1 (on, no default) so each item's
# own `ttl` decides, nothing indexed (only point operations are used).
# The per-view inputs come from `groundwork infra generate`.
#
# Data-plane roles, per container: the serving identity gets Cosmos DB
# Built-in Data Reader, the sync identity Cosmos DB Built-in Data Contributor.

locals {
  data_reader      = "00000000-0000-0000-0000-000000000001"
  data_contributor = "00000000-0000-0000-0000-000000000002"
}

resource "azurerm_cosmosdb_account" "this" {
  #checkov:skip=CKV_AZURE_140: the app authenticates with account keys today (CosmosStoreConfig.key); serving gets the read-only key, sync the read-write key, both from Key Vault
  #checkov:skip=CKV_AZURE_100: encryption with a customer-managed key needs a Key Vault key and an identity on the account; service-managed encryption at rest is on
  name                               = var.account_name
  resource_group_name                = var.resource_group_name
  location                           = var.location
  offer_type                         = "Standard"
  kind                               = "GlobalDocumentDB"
  minimal_tls_version                = "Tls12"
  public_network_access_enabled      = false
  access_key_metadata_writes_enabled = false
  automatic_failover_enabled         = length(var.failover_locations) > 0
  tags                               = var.tags

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = var.location
    failover_priority = 0
    zone_redundant    = var.zone_redundant
  }

  dynamic "geo_location" {
    for_each = var.failover_locations

    content {
      location          = geo_location.value
      failover_priority = geo_location.key + 1
    }
  }

  backup {
    type = "Continuous"
    tier = "Continuous7Days"
  }
}

resource "azurerm_cosmosdb_sql_database" "this" {
  name                = var.database
  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
}

resource "azurerm_cosmosdb_sql_container" "feature_view" {
  for_each = var.feature_views

  name                = each.value.container_name
  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
  database_name       = azurerm_cosmosdb_sql_database.this.name
  partition_key_paths = [each.value.partition_key_path]
  default_ttl         = each.value.default_ttl

  autoscale_settings {
    max_throughput = var.max_throughput
  }

  indexing_policy {
    indexing_mode = "consistent"

    excluded_path {
      path = "/*"
    }
  }
}

resource "azurerm_cosmosdb_sql_role_assignment" "serving_reads" {
  for_each = var.feature_views

  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
  role_definition_id  = "${azurerm_cosmosdb_account.this.id}/sqlRoleDefinitions/${local.data_reader}"
  principal_id        = var.serving_principal_id
  scope               = "${azurerm_cosmosdb_account.this.id}/dbs/${azurerm_cosmosdb_sql_database.this.name}/colls/${azurerm_cosmosdb_sql_container.feature_view[each.key].name}"
}

resource "azurerm_cosmosdb_sql_role_assignment" "sync_writes" {
  for_each = var.feature_views

  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
  role_definition_id  = "${azurerm_cosmosdb_account.this.id}/sqlRoleDefinitions/${local.data_contributor}"
  principal_id        = var.sync_principal_id
  scope               = "${azurerm_cosmosdb_account.this.id}/dbs/${azurerm_cosmosdb_sql_database.this.name}/colls/${azurerm_cosmosdb_sql_container.feature_view[each.key].name}"
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.account_name}-pe"
  resource_group_name = var.resource_group_name
  location            = var.location
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.account_name}-sql"
    private_connection_resource_id = azurerm_cosmosdb_account.this.id
    subresource_names              = ["Sql"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "cosmos"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}
