provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "sec-10k-rag"
      Environment = "prod"
    }
  }
}
