data "aws_caller_identity" "current" {}

locals {
  tags        = merge({ Project = "sec-10k-rag", Stack = var.name, ManagedBy = "terraform" }, var.tags)
  bucket_base = "${var.name}-${data.aws_caller_identity.current.account_id}"
  # Bulk embedding is the indexer's cost at EDGAR scale: it may embed over http on a GPU while the gateway
  # keeps its in-process query encoder (the gateway checks that both give the same vectors).
  indexer_embedding_backend = coalesce(var.indexer_embedding_backend, var.embedding_backend)
  # An explicit embedding_url wins; otherwise the stack's own embedder service, when enabled.
  embedding_server = var.embedding_url != "" ? { url = var.embedding_url, model = var.embedding_served_model } : (
    module.vllm.embedder == null ? { url = "", model = "" } : module.vllm.embedder
  )
}

module "kms" {
  source = "../kms"
  name   = var.name
  tags   = local.tags
}

module "network" {
  source                     = "../network"
  name                       = var.name
  cidr                       = var.vpc_cidr
  azs                        = var.azs
  single_nat_gateway         = var.single_nat_gateway
  enable_interface_endpoints = var.enable_interface_endpoints
  kms_key_arn                = module.kms.key_arn
  flow_log_retention_days    = var.log_retention_days
  tags                       = local.tags
}

module "logs" {
  source        = "../log-bucket"
  name          = "${local.bucket_base}-logs"
  force_destroy = var.force_destroy_buckets
  tags          = local.tags
}

module "index" {
  source             = "../index-bucket"
  name               = "${local.bucket_base}-index"
  kms_key_arn        = module.kms.key_arn
  access_logs_bucket = module.logs.bucket_name
  force_destroy      = var.force_destroy_buckets
  tags               = local.tags
}

module "cluster" {
  source                          = "../ecs-cluster"
  name                            = var.name
  vpc_id                          = module.network.vpc_id
  subnet_ids                      = module.network.private_subnet_ids
  instance_types                  = var.gpu_instance_types
  max_size                        = var.gpu_max_instances
  root_volume_size_gb             = var.gpu_root_volume_size_gb
  on_demand_base_capacity         = var.on_demand_base_capacity
  on_demand_percentage_above_base = var.on_demand_percentage_above_base
  kms_key_arn                     = module.kms.key_arn
  log_retention_days              = var.log_retention_days
  tags                            = local.tags
}

module "vllm" {
  source                            = "../vllm"
  name                              = "${var.name}-vllm"
  cluster_arn                       = module.cluster.cluster_arn
  cluster_name                      = module.cluster.cluster_name
  capacity_provider_name            = module.cluster.gpu_capacity_provider_name
  vpc_id                            = module.network.vpc_id
  subnet_ids                        = module.network.private_subnet_ids
  client_security_group_ids         = [module.gateway.task_security_group_id, module.warmup.security_group_id]
  image                             = var.vllm_image
  models                            = var.models
  reranker                          = var.reranker
  embedder                          = var.embedder
  hf_token_secret_arn               = var.hf_token_secret_arn
  health_check_grace_period_seconds = var.vllm_health_check_grace_period_seconds
  enable_autoscaling                = var.enable_autoscaling
  access_logs_bucket                = module.logs.bucket_name
  deletion_protection               = var.deletion_protection
  kms_key_arn                       = module.kms.key_arn
  log_retention_days                = var.log_retention_days
  tags                              = local.tags
}

module "gateway" {
  source                     = "../gateway"
  name                       = "${var.name}-gateway"
  cluster_arn                = module.cluster.cluster_arn
  cluster_name               = module.cluster.cluster_name
  vpc_id                     = module.network.vpc_id
  vpc_cidr                   = module.network.vpc_cidr
  public_subnet_ids          = module.network.public_subnet_ids
  private_subnet_ids         = module.network.private_subnet_ids
  ingress_cidrs              = var.ingress_cidrs
  certificate_arn            = var.certificate_arn
  waf_web_acl_arn            = var.waf_web_acl_arn
  image                      = var.gateway_image
  index_sync_image           = var.indexer_image
  desired_count              = var.gateway_desired_count
  min_count                  = var.gateway_min_count
  max_count                  = var.gateway_max_count
  enable_autoscaling         = var.enable_autoscaling
  upstreams                  = module.vllm.upstreams
  reranker                   = module.vllm.reranker
  index_bucket_name          = module.index.bucket_name
  index_bucket_arn           = module.index.bucket_arn
  embedding_backend          = var.embedding_backend
  embedding_url              = var.embedding_backend == "http" ? local.embedding_server.url : ""
  embedding_served_model     = var.embedding_backend == "http" ? local.embedding_server.model : ""
  api_key_digests_secret_arn = var.api_key_digests_secret_arn
  warmup_lambda_arn          = module.warmup.function_arn
  warmup_lambda_name         = module.warmup.function_name
  extra_environment          = var.gateway_extra_environment
  access_logs_bucket         = module.logs.bucket_name
  deletion_protection        = var.deletion_protection
  kms_key_arn                = module.kms.key_arn
  log_retention_days         = var.log_retention_days
  tags                       = local.tags
}

module "indexer" {
  source                 = "../indexer"
  name                   = "${var.name}-indexer"
  vpc_id                 = module.network.vpc_id
  cluster_arn            = module.cluster.cluster_arn
  subnet_ids             = module.network.private_subnet_ids
  image                  = var.indexer_image
  index_bucket_name      = module.index.bucket_name
  index_bucket_arn       = module.index.bucket_arn
  embedding_backend      = local.indexer_embedding_backend
  embedding_url          = local.indexer_embedding_backend == "http" ? local.embedding_server.url : ""
  embedding_served_model = local.indexer_embedding_backend == "http" ? local.embedding_server.model : ""
  sharded_build          = var.indexer_sharded_build
  shard_count            = var.indexer_shard_count
  sec_user_agent         = var.sec_user_agent
  kms_key_arn            = module.kms.key_arn
  log_retention_days     = var.log_retention_days
  tags                   = local.tags
}

module "warmup" {
  source             = "../warmup-lambda"
  name               = "${var.name}-warmup"
  package_path       = var.lambda_package_path
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.vpc_cidr
  subnet_ids         = module.network.private_subnet_ids
  cluster_name       = module.cluster.cluster_name
  service_arns       = module.vllm.service_arns
  targets            = module.vllm.warmup_targets
  warm_schedule      = var.warm_schedule
  sleep_schedule     = var.sleep_schedule
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tags               = local.tags
}
