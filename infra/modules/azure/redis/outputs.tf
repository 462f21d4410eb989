output "url" {
  description = "rediss:// URL of the cache, without the password (GROUNDWORK_STORES__REDIS__URL)."
  value       = "rediss://${azurerm_redis_cache.this.hostname}:${azurerm_redis_cache.this.ssl_port}/0"
}

output "password" {
  description = "Access key of the cache (GROUNDWORK_STORES__REDIS__PASSWORD)."
  value       = azurerm_redis_cache.this.primary_access_key
  sensitive   = true
}
