# Smallest useful deployment: one small model on at most one GPU instance, one NAT gateway, no interface
# endpoints, everything destroyable. Local state; run from this folder.
provider "aws" {
  region = var.region
}

module "stack" {
  source = "../../modules/stack"

  name                       = var.name
  azs                        = ["${var.region}a", "${var.region}b"]
  single_nat_gateway         = true
  enable_interface_endpoints = false
  gpu_max_instances          = 1
  gpu_root_volume_size_gb    = 100
  models = {
    qwen05b = {
      model             = "Qwen/Qwen2.5-0.5B-Instruct"
      served_model_name = "qwen2.5-0.5b-instruct"
      max_model_len     = 8192
      max_count         = 1
    }
  }
  gateway_image              = var.gateway_image
  indexer_image              = var.indexer_image
  certificate_arn            = var.certificate_arn
  api_key_digests_secret_arn = var.api_key_digests_secret_arn
  lambda_package_path        = abspath(var.lambda_package_path)
  gateway_desired_count      = 1
  gateway_max_count          = 2
  log_retention_days         = 365
  deletion_protection        = false
  force_destroy_buckets      = true
  enable_autoscaling         = var.enable_autoscaling
}
