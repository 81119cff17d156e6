data "aws_region" "current" {}

locals {
  index_url  = "s3://${var.index_bucket_name}/${var.index_prefix}"
  corpus_url = var.corpus_prefix == "" ? "" : "s3://${var.index_bucket_name}/${var.corpus_prefix}"
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: `aws ecs run-task` of the indexer passes this group (output indexer_run_task_network).
  name        = "${var.name}-task"
  description = "Indexer task: no inbound, HTTPS out to S3, ECR and EDGAR"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-task" })

  #checkov:skip=CKV_AWS_382:Fetching filings from EDGAR and talking to S3/ECR needs HTTPS to addresses with no fixed CIDR.
  egress {
    description = "HTTPS to S3, ECR and EDGAR"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "identity" {
  source = "../ecs-task-identity"

  name               = var.name
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.index_bucket_arn]
  }
  statement {
    sid       = "ReadCorpus"
    actions   = ["s3:GetObject"]
    resources = ["${var.index_bucket_arn}/${var.corpus_prefix}/*", "${var.index_bucket_arn}/${var.index_prefix}/*"]
  }
  statement {
    sid       = "PublishIndex"
    actions   = ["s3:PutObject"]
    resources = ["${var.index_bucket_arn}/${var.index_prefix}/*"]
  }
  statement {
    sid       = "UseBucketKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "build-and-publish-index"
  role   = module.identity.task_role_name
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.identity.execution_role_arn
  task_role_arn            = module.identity.task_role_arn
  tags                     = var.tags

  ephemeral_storage {
    size_in_gib = var.ephemeral_storage_gb
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "work"
  }

  container_definitions = jsonencode([
    {
      name                   = "indexer"
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      user                   = "10001"
      # One unsharded build: the corpus from S3 (or EDGAR when there is none), then publish versions/<v>/ and
      # CURRENT. The sharded build (state_machine.tf) overrides this command per shard and for the merge.
      command = concat(
        ["rag-index", "build", "--corpus", "/work/corpus", "--out", "/work/index", "--quiet"],
        local.corpus_url == "" ? [] : ["--corpus-url", local.corpus_url],
        ["--fetch-tickers", join(",", var.edgar_tickers), "--fetch-years", tostring(var.edgar_years)],
        ["--publish", local.index_url],
      )
      environment = concat([
        { name = "AWS_REGION", value = data.aws_region.current.name },
        { name = "RAG_EMBEDDING_MODEL", value = var.embedding_model_path },
        { name = "RAG_EMBEDDING_BACKEND", value = var.embedding_backend },
        { name = "SEC_USER_AGENT", value = var.sec_user_agent },
        { name = "HF_HUB_OFFLINE", value = "1" },
        { name = "HF_HOME", value = "/work/hf-home" },
        ], var.embedding_url == "" ? [] : [
        { name = "RAG_EMBEDDING_URL", value = var.embedding_url },
        ], var.embedding_url == "" || var.embedding_served_model == "" ? [] : [
        { name = "RAG_EMBEDDING_SERVED_MODEL", value = var.embedding_served_model },
      ])
      mountPoints = [{ sourceVolume = "work", containerPath = "/work", readOnly = false }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = module.identity.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "indexer"
        }
      }
    }
  ])
}

# Addresses these resources had before they moved into module.identity: existing states plan as moves, so
# nothing is destroyed or recreated. Safe to delete once every deployed state has been applied past them.
moved {
  from = aws_cloudwatch_log_group.this
  to   = module.identity.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.execution
  to   = module.identity.aws_iam_role.execution
}

moved {
  from = aws_iam_role_policy_attachment.execution
  to   = module.identity.aws_iam_role_policy_attachment.execution
}

moved {
  from = aws_iam_role.task
  to   = module.identity.aws_iam_role.task
}
