terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Keep the state remote and encrypted: it holds the generated passwords.
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "groundwork/aws.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { "groundwork:deployment" = var.name })
  }
}
