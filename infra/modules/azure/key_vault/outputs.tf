output "vault_uri" {
  description = "URI of the vault."
  value       = azurerm_key_vault.this.vault_uri
}

output "secret_ids" {
  description = "Versionless ID of each secret, by name (for Container Apps Key Vault references)."
  value       = { for name, secret in azurerm_key_vault_secret.this : name => secret.versionless_id }
}
