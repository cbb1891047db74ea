# Remote state in S3 with DynamoDB locking; create both once with infra/bootstrap.
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  backend "s3" {
    bucket         = "aiops-autoheal-tfstate"
    key            = "eks/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "aiops-autoheal-tflock"
    encrypt        = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project    = "aiops-autoheal"
      managed-by = "terraform"
    }
  }
}
