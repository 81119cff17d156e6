terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: terraform init -backend-config=backend.hcl (see infra/README.md).
  backend "s3" {}
}
