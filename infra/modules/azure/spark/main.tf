# Managed Spark: a Synapse workspace with one auto-scaling, auto-pausing Spark
# pool, and its ADLS Gen2 account holding raw data, the feature tables and job
# code. Synapse rather than HDInsight: a pool costs nothing while paused and
# starts on demand, with no head, ZooKeeper or gateway nodes to run and patch,
# while an HDInsight cluster bills for its nodes around the clock.
# The workspace runs as the sync identity (plus its own system identity).

resource "azurerm_storage_account" "lake" {
  #checkov:skip=CKV_AZURE_33: no queues are used; queue logging does not apply
  #checkov:skip=CKV2_AZURE_1: encryption at rest with Microsoft-managed keys; a customer-managed key needs a Key Vault key per deployment
  #checkov:skip=CKV2_AZURE_33: the workspace reaches the lake through its managed virtual network; the firewall below denies everything else
  #checkov:skip=CKV_AZURE_59: the Synapse workspace needs the account's endpoint; network_rules deny all but trusted Azure services
  #checkov:skip=CKV_AZURE_206: replication is a per-deployment choice (var.replication_type); the feature tables are recomputed from raw data
  name                             = var.storage_account_name
  resource_group_name              = var.resource_group_name
  location                         = var.location
  account_tier                     = "Standard"
  account_kind                     = "StorageV2"
  account_replication_type         = var.replication_type
  is_hns_enabled                   = true
  min_tls_version                  = "TLS1_2"
  https_traffic_only_enabled       = true
  allow_nested_items_to_be_public  = false
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  cross_tenant_replication_enabled = false
  local_user_enabled               = false
  tags                             = var.tags

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }

  blob_properties {
    delete_retention_policy {
      days = 30
    }

    container_delete_retention_policy {
      days = 30
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }
}

resource "azurerm_storage_container" "lake" {
  #checkov:skip=CKV2_AZURE_21: blob read logging goes to the account's diagnostic settings, configured per deployment
  name                  = "groundwork"
  storage_account_id    = azurerm_storage_account.lake.id
  container_access_type = "private"
}

resource "azurerm_synapse_workspace" "this" {
  #checkov:skip=CKV_AZURE_240: workspace encryption with a customer-managed key needs a Key Vault key per deployment; data at rest is encrypted with Microsoft-managed keys
  #checkov:skip=CKV2_AZURE_53: SQL auditing applies to dedicated SQL pools; this workspace runs only a Spark pool
  name                                 = var.workspace_name
  resource_group_name                  = var.resource_group_name
  location                             = var.location
  storage_data_lake_gen2_filesystem_id = "https://${azurerm_storage_account.lake.name}.dfs.core.windows.net/${azurerm_storage_container.lake.name}"
  managed_virtual_network_enabled      = true
  data_exfiltration_protection_enabled = true
  public_network_access_enabled        = false
  azuread_authentication_only          = true
  tags                                 = var.tags

  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = [var.sync_identity_id]
  }
}

# The workspace reads and writes the lake (raw data in, feature tables out).
resource "azurerm_role_assignment" "workspace_lake" {
  for_each = {
    workspace = azurerm_synapse_workspace.this.identity[0].principal_id
    sync      = var.sync_principal_id
  }

  scope                = azurerm_storage_account.lake.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = each.value
}

resource "azurerm_synapse_spark_pool" "this" {
  #checkov:skip=CKV_AZURE_242: isolated compute reserves whole hosts (XXXLarge nodes only); the feature jobs handle no tenant-separated data
  name                 = var.pool_name
  synapse_workspace_id = azurerm_synapse_workspace.this.id
  node_size_family     = "MemoryOptimized"
  node_size            = var.node_size
  spark_version        = var.spark_version
  tags                 = var.tags

  auto_scale {
    min_node_count = 3
    max_node_count = var.max_nodes
  }

  auto_pause {
    delay_in_minutes = 15
  }
}

# Managed private endpoints from the workspace's managed network to Cosmos DB
# (sync writes) and to the lake; approve them once on the target resources.
resource "azurerm_synapse_managed_private_endpoint" "this" {
  for_each = {
    cosmos = { target = var.cosmos_account_id, subresource = "Sql" }
    lake   = { target = azurerm_storage_account.lake.id, subresource = "dfs" }
  }

  name                 = "${var.workspace_name}-${each.key}"
  synapse_workspace_id = azurerm_synapse_workspace.this.id
  target_resource_id   = each.value.target
  subresource_name     = each.value.subresource
}
