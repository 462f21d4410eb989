variable "name" {
  description = "Deployment name, used in resource names (at most 32 characters: load balancer name)."
  type        = string
}

variable "image" {
  description = "Groundwork serving image built from the repository's Dockerfile (`groundwork serve`, non-root, settings from the environment)."
  type        = string
}

variable "environment" {
  description = "GROUNDWORK_* settings of the service, by variable name (host, port and state dir are set here)."
  type        = map(string)
}

variable "secrets" {
  description = "Settings injected from Secrets Manager: variable name to secret ARN."
  type        = map(string)
}

variable "task_role_arn" {
  description = "IAM role the service runs as (reads the feature tables)."
  type        = string
}

variable "execution_role_arn" {
  description = "IAM role ECS uses to pull the image, write logs and inject the secrets."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the log group."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the service."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC, for the tasks' outbound rules to Redis and PostgreSQL."
  type        = string
}

variable "vpc_ports" {
  description = "Ports the tasks may reach inside the VPC."
  type        = list(number)
  default     = [5432, 6379]
}

variable "private_subnet_ids" {
  description = "Private subnets of the tasks (and of an internal load balancer)."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets of an internet-facing load balancer."
  type        = list(string)
}

variable "internal" {
  description = "Keep the load balancer internal (reachable from the VPC and peered networks only)."
  type        = bool
  default     = true
}

variable "allowed_cidr_blocks" {
  description = "Networks allowed to call the load balancer."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

variable "container_port" {
  description = "Port the service listens on in the container (GROUNDWORK_PORT)."
  type        = number
  default     = 8000
}

variable "cpu" {
  description = "vCPU units of one task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Memory of one task, in MiB."
  type        = number
  default     = 2048
}

variable "min_tasks" {
  description = "Fewest tasks (also the initial count)."
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Most tasks autoscaling may run."
  type        = number
  default     = 10
}

variable "target_cpu_percent" {
  description = "Average CPU utilisation autoscaling keeps the tasks at."
  type        = number
  default     = 60
}

variable "target_requests_per_task" {
  description = "Requests per task per minute autoscaling keeps the tasks at."
  type        = number
  default     = 3000
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the service's logs."
  type        = number
  default     = 365
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
