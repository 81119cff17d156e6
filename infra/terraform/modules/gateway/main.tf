data "aws_region" "current" {}

locals {
  index_dir    = "/var/lib/rag/index"
  index_s3_url = "s3://${var.index_bucket_name}/${var.index_prefix}"
  environment = merge(
    {
      RAG_ENVIRONMENT        = "production"
      RAG_HOST               = "0.0.0.0"
      RAG_PORT               = tostring(var.container_port)
      RAG_UPSTREAMS          = jsonencode(var.upstreams)
      RAG_DEFAULT_UPSTREAM   = values(var.upstreams)[0]
      RAG_INDEX_DIR          = local.index_dir
      RAG_EMBEDDING_MODEL    = var.embedding_model_path
      RAG_EMBEDDING_BACKEND  = var.embedding_backend
      RAG_AWS_REGION         = data.aws_region.current.name
      RAG_LOG_JSON           = "true"
      RAG_WARMUP_LAMBDA_NAME = var.warmup_lambda_name == null ? "" : var.warmup_lambda_name
      # One uvicorn worker per vCPU: one event loop per core (metrics are summed across workers).
      RAG_WORKERS             = tostring(max(1, floor(var.cpu / 1024)))
      HF_HUB_OFFLINE          = "1"
      HF_HOME                 = "/tmp/hf-home"
      TRANSFORMERS_OFFLINE    = "1"
      TOKENIZERS_PARALLELISM  = "false"
      PYTHONDONTWRITEBYTECODE = "1"
    },
    var.embedding_url == "" ? {} : { RAG_EMBEDDING_URL = var.embedding_url },
    var.embedding_url == "" || var.embedding_served_model == "" ? {} : {
      RAG_EMBEDDING_SERVED_MODEL = var.embedding_served_model
    },
    # Only with a reranker service: without one the gateway keeps its default second stage.
    var.reranker == null ? {} : {
      RAG_RERANKER       = "http"
      RAG_RERANKER_URL   = var.reranker.url
      RAG_RERANKER_MODEL = var.reranker.model
    },
    var.extra_environment,
  )
  autoscaling = var.enable_autoscaling ? 1 : 0
}

# --- Network -------------------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Public gateway ALB: HTTPS from clients, HTTP only to redirect"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  ingress {
    description = "HTTPS from clients"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.ingress_cidrs
  }

  #checkov:skip=CKV_AWS_260:Port 80 answers only with a 301 to HTTPS (listener below); no request reaches a task over HTTP.
  ingress {
    description = "HTTP, redirected to HTTPS"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = var.ingress_cidrs
  }
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Gateway tasks: traffic from the public ALB only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-tasks" })

  ingress {
    description     = "rag-gateway from the public ALB"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  egress {
    description = "Internal vLLM ALB (HTTP inside the VPC)"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  #checkov:skip=CKV_AWS_382:S3, Lambda, Secrets Manager and ECR are reached over HTTPS through endpoints or NAT; AWS API ranges are not fixed CIDRs.
  egress {
    description = "HTTPS to AWS APIs (S3, Lambda, Secrets Manager, ECR)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to gateway tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

# --- Load balancer -------------------------------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:The WAF web ACL is optional and owned by the operator (waf_web_acl_arn); its managed rule groups, Log4j AMR included, are configured there.
  name                       = substr("${var.name}-alb", 0, 32)
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  idle_timeout               = 600
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "gateway-alb"
    enabled = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.waf_web_acl_arn == null ? 0 : 1
  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_lb_target_group" "this" {
  name                 = substr("${var.name}-tg", 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 60
  tags                 = var.tags

  # /health, not /ready: a sleeping vLLM must not make the ALB kill healthy gateways.
  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# --- IAM -----------------------------------------------------------------------------------------------

module "identity" {
  source = "../ecs-task-identity"

  name                = var.name
  kms_key_arn         = var.kms_key_arn
  log_retention_days  = var.log_retention_days
  secret_arns         = [var.api_key_digests_secret_arn]
  secrets_policy_name = "read-api-key-digests"
  tags                = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ListIndex"
    actions   = ["s3:ListBucket"]
    resources = [var.index_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.index_prefix}/*", var.index_prefix]
    }
  }
  statement {
    sid       = "ReadIndex"
    actions   = ["s3:GetObject"]
    resources = ["${var.index_bucket_arn}/${var.index_prefix}/*"]
  }
  statement {
    sid       = "DecryptIndex"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  dynamic "statement" {
    for_each = var.warmup_lambda_arn == null ? [] : [var.warmup_lambda_arn]
    content {
      sid       = "InvokeWarmup"
      actions   = ["lambda:InvokeFunction"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "read-index-invoke-warmup"
  role   = module.identity.task_role_name
  policy = data.aws_iam_policy_document.task.json
}

# --- Service -------------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.identity.execution_role_arn
  task_role_arn            = module.identity.task_role_arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "index"
  }

  volume {
    name = "tmp"
  }

  volume {
    name = "sync-tmp"
  }

  lifecycle {
    precondition {
      condition     = (var.embedding_backend == "http") == (var.embedding_url != "")
      error_message = "embedding_url is required with embedding_backend = \"http\" and only then."
    }
  }

  container_definitions = jsonencode([
    {
      # Pulls s3://<bucket>/<prefix>/CURRENT's version into the shared volume and re-points `current`;
      # the gateway's index poller then hot-swaps it without a restart.
      name                   = "index-sync"
      image                  = var.index_sync_image
      essential              = true
      readonlyRootFilesystem = true
      user                   = "10001"
      command = [
        "rag-index", "pull",
        "--url", local.index_s3_url,
        "--dest", local.index_dir,
        "--interval", tostring(var.index_sync_interval_seconds),
      ]
      environment = [{ name = "AWS_REGION", value = data.aws_region.current.name }]
      mountPoints = [
        { sourceVolume = "index", containerPath = local.index_dir, readOnly = false },
        { sourceVolume = "sync-tmp", containerPath = "/tmp", readOnly = false },
      ]
      healthCheck = {
        command     = ["CMD-SHELL", "test -e ${local.index_dir}/current || exit 1"]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 120
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = module.identity.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "index-sync"
        }
      }
    },
    {
      name                   = "gateway"
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      user                   = "10001"
      portMappings           = [{ containerPort = var.container_port, protocol = "tcp" }]
      dependsOn              = [{ containerName = "index-sync", condition = "HEALTHY" }]
      environment            = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
      # Only the ARN is in the task definition; ECS resolves the value at start.
      secrets = [{ name = "RAG_API_KEY_DIGESTS", valueFrom = var.api_key_digests_secret_arn }]
      mountPoints = [
        { sourceVolume = "index", containerPath = local.index_dir, readOnly = true },
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
      ]
      healthCheck = {
        command     = ["CMD-SHELL", "python -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.container_port}/health', timeout=3)\" || exit 1"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      stopTimeout = 60
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = module.identity.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "gateway"
        }
      }
    },
  ])
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 120
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  tags                              = var.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "gateway"
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

# --- Scaling (gated: the emulator lacks Application Auto Scaling tagging) -----------------------------

resource "aws_appautoscaling_target" "this" {
  count              = local.autoscaling
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = local.autoscaling
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count              = local.autoscaling
  name               = "${var.name}-requests-per-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }
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

moved {
  from = aws_iam_role_policy.execution_secrets
  to   = module.identity.aws_iam_role_policy.execution_secrets[0]
}
