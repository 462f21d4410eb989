variable "name" {
  description = "Deployment name, used in resource names."
  type        = string
}

variable "bucket_name" {
  description = "Name of the feature-table bucket; null derives `<name>-features-<account id>`."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the bucket."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days S3 keeps an overwritten or deleted object version."
  type        = number
  default     = 30
}

variable "vpc_id" {
  description = "VPC the Spark jobs run in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC, for the jobs' outbound rules to Redis and PostgreSQL."
  type        = string
}

variable "vpc_ports" {
  description = "Ports the jobs may reach inside the VPC."
  type        = list(number)
  default     = [5432, 6379]
}

variable "subnet_ids" {
  description = "Private subnets the Spark jobs run in."
  type        = list(string)
}

variable "release_label" {
  description = "EMR release of the application (its Spark version must run the project's PySpark jobs)."
  type        = string
  default     = "emr-7.5.0"
}

variable "maximum_cpu" {
  description = "Most vCPU the application may hold at once, e.g. `64 vCPU`."
  type        = string
  default     = "64 vCPU"
}

variable "maximum_memory" {
  description = "Most memory the application may hold at once, e.g. `256 GB`."
  type        = string
  default     = "256 GB"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
