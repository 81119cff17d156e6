module "stack" {
  source = "../../modules/stack"

  name                            = var.name
  azs                             = var.azs
  single_nat_gateway              = var.single_nat_gateway
  enable_interface_endpoints      = var.enable_interface_endpoints
  gpu_instance_types              = var.gpu_instance_types
  gpu_max_instances               = var.gpu_max_instances
  on_demand_base_capacity         = var.on_demand_base_capacity
  on_demand_percentage_above_base = var.on_demand_percentage_above_base
  vllm_image                      = var.vllm_image
  models                          = var.models
  reranker                        = var.reranker
  embedder                        = var.embedder
  hf_token_secret_arn             = var.hf_token_secret_arn
  gateway_image                   = var.gateway_image
  indexer_image                   = var.indexer_image
  certificate_arn                 = var.certificate_arn
  api_key_digests_secret_arn      = var.api_key_digests_secret_arn
  ingress_cidrs                   = var.ingress_cidrs
  waf_web_acl_arn                 = var.waf_web_acl_arn
  embedding_backend               = var.embedding_backend
  indexer_embedding_backend       = var.indexer_embedding_backend
  embedding_url                   = var.embedding_url
  embedding_served_model          = var.embedding_served_model
  indexer_sharded_build           = var.indexer_sharded_build
  indexer_shard_count             = var.indexer_shard_count
  sec_user_agent                  = var.sec_user_agent
  lambda_package_path             = abspath(var.lambda_package_path)
  enable_autoscaling              = var.enable_autoscaling
  deletion_protection             = var.deletion_protection
  force_destroy_buckets           = var.force_destroy_buckets
  tags                            = { Environment = "prod" }
}
