output "serving_id" {
  description = "Resource ID of the serving identity."
  value       = azurerm_user_assigned_identity.this["serving"].id
}

output "serving_principal_id" {
  description = "Principal (object) ID of the serving identity."
  value       = azurerm_user_assigned_identity.this["serving"].principal_id
}

output "serving_client_id" {
  description = "Client ID of the serving identity (AZURE_CLIENT_ID inside the app)."
  value       = azurerm_user_assigned_identity.this["serving"].client_id
}

output "sync_id" {
  description = "Resource ID of the sync identity."
  value       = azurerm_user_assigned_identity.this["sync"].id
}

output "sync_principal_id" {
  description = "Principal (object) ID of the sync identity."
  value       = azurerm_user_assigned_identity.this["sync"].principal_id
}
