output "url" {
  description = "Base URL of the REST API."
  value       = "https://${azurerm_container_app.this.ingress[0].fqdn}"
}

output "environment_static_ip" {
  description = "IP address of the Container Apps environment (a private IP when internal)."
  value       = azurerm_container_app_environment.this.static_ip_address
}
