# User-assigned managed identities: `serving` (the Container App) and `sync`
# (the Synapse workspace that runs the feature jobs and `groundwork sync`).
# Their permissions are granted where the resources are: Cosmos DB data-plane
# roles in modules/azure/cosmos, secret reads in modules/azure/key_vault.

resource "azurerm_user_assigned_identity" "this" {
  for_each = toset(["serving", "sync"])

  name                = "${var.name}-${each.key}"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}
