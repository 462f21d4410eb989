# The serving tier: the Groundwork REST service (`groundwork serve`) as an
# Azure Container App in the virtual network, running as the serving identity,
# its secrets referenced from Key Vault, ready when /readyz answers, scaled on
# concurrent requests.

resource "azurerm_log_analytics_workspace" "this" {
  name                = "${var.name}-logs"
  resource_group_name = var.resource_group_name
  location            = var.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_container_app_environment" "this" {
  name                           = "${var.name}-apps"
  resource_group_name            = var.resource_group_name
  location                       = var.location
  log_analytics_workspace_id     = azurerm_log_analytics_workspace.this.id
  infrastructure_subnet_id       = var.subnet_id
  internal_load_balancer_enabled = var.internal
  zone_redundancy_enabled        = true
  tags                           = var.tags

  workload_profile {
    name                  = "Consumption"
    workload_profile_type = "Consumption"
  }
}

resource "azurerm_container_app" "this" {
  name                         = "${var.name}-serving"
  resource_group_name          = var.resource_group_name
  container_app_environment_id = azurerm_container_app_environment.this.id
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity_id]
  }

  dynamic "secret" {
    for_each = var.secrets

    content {
      name                = replace(lower(secret.key), "_", "-")
      key_vault_secret_id = secret.value
      identity            = var.identity_id
    }
  }

  ingress {
    external_enabled           = true
    target_port                = var.container_port
    transport                  = "http"
    allow_insecure_connections = false

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas

    container {
      name    = "groundwork"
      image   = var.image
      cpu     = var.cpu
      memory  = var.memory
      command = ["groundwork", "serve"]

      dynamic "env" {
        for_each = merge(var.environment, {
          GROUNDWORK_HOST      = "0.0.0.0"
          GROUNDWORK_PORT      = tostring(var.container_port)
          GROUNDWORK_STATE_DIR = "/tmp/groundwork"
          AZURE_CLIENT_ID      = var.identity_client_id
        })

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secrets

        content {
          name        = env.key
          secret_name = replace(lower(env.key), "_", "-")
        }
      }

      readiness_probe {
        transport = "HTTP"
        path      = "/readyz"
        port      = var.container_port
      }

      liveness_probe {
        transport = "HTTP"
        path      = "/healthz"
        port      = var.container_port
      }
    }

    http_scale_rule {
      name                = "concurrent-requests"
      concurrent_requests = tostring(var.concurrent_requests_per_replica)
    }
  }
}
