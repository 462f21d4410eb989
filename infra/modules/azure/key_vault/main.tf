# Key Vault (RBAC mode, purge protection) holding the app's secrets: the
# Cosmos DB keys, the Redis access key and the catalog URL. Each identity may
# read only the secrets named for it (Key Vault Secrets User on the secret);
# the deploying principal manages them (Key Vault Secrets Officer on the vault).

data "azurerm_client_config" "current" {}

locals {
  readers = merge([
    for secret, principals in var.secret_readers : {
      for principal, principal_id in principals : "${secret}/${principal}" => {
        secret       = secret
        principal_id = principal_id
      }
    }
  ]...)
}

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_189: the deploying principal writes the secrets over the public endpoint, limited by network_acls to allowed_ip_ranges; the app reads them through the private endpoint
  name                          = var.vault_name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  enable_rbac_authorization     = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true
  tags                          = var.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = var.allowed_ip_ranges
  }
}

resource "azurerm_role_assignment" "deployer" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_key_vault_secret" "this" {
  for_each = toset(var.secret_names)

  #checkov:skip=CKV_AZURE_41: these secrets are replaced by `terraform apply` when the resource they belong to rotates its keys; an expiry date would break the running service
  name         = each.key
  value        = var.secret_values[each.key]
  content_type = "text/plain"
  key_vault_id = azurerm_key_vault.this.id
  tags         = var.tags

  depends_on = [azurerm_role_assignment.deployer]
}

resource "azurerm_role_assignment" "secret_reader" {
  for_each = local.readers

  scope                = azurerm_key_vault_secret.this[each.value.secret].resource_versionless_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = each.value.principal_id
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.vault_name}-pe"
  resource_group_name = var.resource_group_name
  location            = var.location
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.vault_name}-vault"
    private_connection_resource_id = azurerm_key_vault.this.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "key-vault"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}
