data "aws_region" "current" {}

locals {
  reranker_key = "reranker"
  embedder_key = "embedder"
  # The optional services beside the chat models, each a vLLM pooling-runner service of its own.
  pooling = { (local.reranker_key) = var.reranker, (local.embedder_key) = var.embedder }
  # Every vLLM service: the chat models and, when enabled, the cross-encoder and the embedder. Each gets a task
  # definition, service, target group, host rule and DNS name; only var.models become chat upstreams.
  services = merge(
    {
      for k, m in var.models : k => {
        model                  = m.model
        served_model_name      = coalesce(m.served_model_name, k)
        max_model_len          = m.max_model_len
        gpu_memory_utilization = m.gpu_memory_utilization
        flags                  = concat(m.enable_prefix_caching ? ["--enable-prefix-caching"] : [], m.extra_args)
        cpu                    = m.cpu
        memory                 = m.memory
        min_count              = m.min_count
        max_count              = m.max_count
        working_hours_count    = m.working_hours_count
        requests_per_target    = m.requests_per_target
      }
    },
    # The pooling runner is what makes vLLM serve /v1/rerank and /score for a one-label classifier (the
    # reranker) and /v1/embeddings for a sentence-embedding model (the embedder).
    {
      for k, o in local.pooling : k => {
        model                  = o.model
        served_model_name      = coalesce(o.served_model_name, o.model)
        max_model_len          = o.max_model_len
        gpu_memory_utilization = o.gpu_memory_utilization
        flags                  = concat(["--runner", "pooling"], o.extra_args)
        cpu                    = o.cpu
        memory                 = o.memory
        min_count              = o.min_count
        max_count              = o.max_count
        working_hours_count    = o.working_hours_count
        requests_per_target    = o.requests_per_target
      } if o.enabled
    },
  )
  # Fixed priorities for the optional services keep the models' priorities unchanged when they are switched.
  fixed_priorities = { (local.reranker_key) = 99, (local.embedder_key) = 98 }
  served_names     = { for k, s in local.services : k => s.served_model_name }
  hostnames        = { for k in keys(local.services) : k => "${k}.${var.dns_zone_name}" }
  # URL and served name of each optional service, null when it is off (the reranker and embedder outputs).
  pooling_endpoints = {
    for k, o in local.pooling : k => o.enabled ? { url = "http://${local.hostnames[k]}/v1", model = local.served_names[k] } : null
  }
  secrets = var.hf_token_secret_arn == null ? [] : [
    { name = "HF_TOKEN", valueFrom = var.hf_token_secret_arn },
  ]
  autoscaled = var.enable_autoscaling ? local.services : {}
}

# --- Network -------------------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Internal vLLM ALB: HTTP from the gateway and the warm-up Lambda only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  ingress {
    description     = "OpenAI API from gateway tasks and the warm-up Lambda"
    from_port       = 80
    to_port         = 80
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "vLLM tasks: traffic from the internal ALB only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-tasks" })

  ingress {
    description     = "vLLM from the internal ALB"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  #checkov:skip=CKV_AWS_382:Tasks download weights from the Hugging Face hub and pull images over HTTPS via NAT; no fixed CIDR exists.
  egress {
    description = "HTTPS to the model hub, ECR and AWS APIs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# The ALB may only reach the tasks' port, never anything else in the VPC.
resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to vLLM tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

# --- Load balancer -------------------------------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:Internal ALB in private subnets, reachable only from the gateway's security group; WAF sits on the public ALB.
  #checkov:skip=CKV2_AWS_20:Internal ALB: nothing outside the VPC reaches it, so there is no plain-HTTP client to redirect to HTTPS.
  name                       = substr("${var.name}-alb", 0, 32)
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.subnet_ids
  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "vllm-alb"
    enabled = true
  }
}

resource "aws_lb_listener" "this" {
  #checkov:skip=CKV_AWS_2:Internal listener in private subnets behind security groups; TLS terminates at the public gateway ALB.
  #checkov:skip=CKV_AWS_103:Same internal HTTP listener as CKV_AWS_2; there is no TLS policy to set.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      status_code  = "404"
      message_body = jsonencode({ error = { message = "unknown model host", type = "invalid_request_error", param = null, code = "model_not_found" } })
    }
  }
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:Plain HTTP between the internal ALB and the tasks inside private subnets; vLLM serves no TLS.
  for_each             = local.services
  name                 = substr("${var.name}-${each.key}", 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay
  tags                 = merge(var.tags, { Model = each.key })

  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 4
  }
}

resource "aws_lb_listener_rule" "this" {
  for_each     = local.services
  listener_arn = aws_lb_listener.this.arn
  priority     = lookup(local.fixed_priorities, each.key, 100 + try(index(sort(keys(var.models)), each.key), 0))
  tags         = var.tags

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  condition {
    host_header {
      values = [local.hostnames[each.key]]
    }
  }
}

resource "aws_route53_zone" "this" {
  name          = var.dns_zone_name
  comment       = "${var.name}: one name per model, all pointing at the internal vLLM ALB"
  force_destroy = true
  tags          = var.tags

  lifecycle {
    precondition {
      condition     = !(var.reranker.enabled && contains(keys(var.models), local.reranker_key))
      error_message = "models may not have a key named \"reranker\" while reranker.enabled: that host name is the cross-encoder's."
    }
    precondition {
      condition     = !(var.embedder.enabled && contains(keys(var.models), local.embedder_key))
      error_message = "models may not have a key named \"embedder\" while embedder.enabled: that host name is the embedding server's."
    }
  }

  vpc {
    vpc_id = var.vpc_id
  }
}

resource "aws_route53_record" "model" {
  for_each = local.services
  zone_id  = aws_route53_zone.this.zone_id
  name     = local.hostnames[each.key]
  type     = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = false
  }
}

# --- Tasks ---------------------------------------------------------------------------------------------

# vLLM calls no AWS API: its task role has no policy, and exists so the task never holds the execution role's
# rights.
module "identity" {
  source = "../ecs-task-identity"

  name                = var.name
  kms_key_arn         = var.kms_key_arn
  log_retention_days  = var.log_retention_days
  secret_arns         = var.hf_token_secret_arn == null ? [] : [var.hf_token_secret_arn]
  secrets_policy_name = "read-hf-token"
  tags                = var.tags
}

resource "aws_ecs_task_definition" "this" {
  #checkov:skip=CKV_AWS_336:vLLM writes compile caches and temp files under its home and /tmp at run time; only the weights cache is a volume.
  for_each                 = local.services
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = module.identity.execution_role_arn
  task_role_arn            = module.identity.task_role_arn
  tags                     = merge(var.tags, { Model = each.key })

  volume {
    name      = "model-cache"
    host_path = var.cache_host_path
  }

  container_definitions = jsonencode([
    {
      name      = "vllm"
      image     = var.image
      essential = true
      # Same entry point and flags as scripts/vllm_serve.sh, plus the GPU-only ones.
      entryPoint = ["python3", "-m", "vllm.entrypoints.openai.api_server"]
      command = concat(
        [
          "--model", each.value.model,
          "--served-model-name", local.served_names[each.key],
          "--host", "0.0.0.0",
          "--port", tostring(var.container_port),
          "--max-model-len", tostring(each.value.max_model_len),
          "--gpu-memory-utilization", tostring(each.value.gpu_memory_utilization),
        ],
        each.value.flags,
      )
      portMappings         = [{ containerPort = var.container_port, protocol = "tcp" }]
      resourceRequirements = [{ type = "GPU", value = "1" }]
      secrets              = local.secrets
      environment = [
        { name = "HF_HOME", value = "/root/.cache/huggingface" },
        { name = "VLLM_NO_USAGE_STATS", value = "1" },
        { name = "DO_NOT_TRACK", value = "1" },
      ]
      mountPoints = [{ sourceVolume = "model-cache", containerPath = "/root/.cache/huggingface", readOnly = false }]
      linuxParameters = {
        initProcessEnabled = true
        sharedMemorySize   = 4096
      }
      healthCheck = {
        command     = ["CMD-SHELL", "python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.container_port}/health', timeout=5)\" || exit 1"]
        interval    = 30
        timeout     = 10
        retries     = 5
        startPeriod = 300
      }
      stopTimeout = 120
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = module.identity.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = each.key
        }
      }
    }
  ])
}

resource "aws_ecs_service" "this" {
  for_each                           = local.services
  name                               = "${var.name}-${each.key}"
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = each.value.min_count
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  tags                               = merge(var.tags, { Model = each.key })

  capacity_provider_strategy {
    capacity_provider = var.capacity_provider_name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this[each.key].arn
    container_name   = "vllm"
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # The warm-up Lambda and Application Auto Scaling own the task count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener_rule.this]
}

# --- Scaling (gated: the emulator lacks Application Auto Scaling tagging) -----------------------------

resource "aws_appautoscaling_target" "this" {
  for_each           = local.autoscaled
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.min_count
  max_capacity       = each.value.max_count
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "requests" {
  for_each           = local.autoscaled
  name               = "${var.name}-${each.key}-requests-per-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.requests_per_target
    scale_in_cooldown  = 900
    scale_out_cooldown = 120
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this[each.key].arn_suffix}"
    }
  }
}

resource "aws_appautoscaling_scheduled_action" "working_hours" {
  for_each           = local.autoscaled
  name               = "${var.name}-${each.key}-working-hours"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension
  schedule           = var.working_hours_start_cron

  scalable_target_action {
    min_capacity = each.value.working_hours_count
    max_capacity = each.value.max_count
  }
}

resource "aws_appautoscaling_scheduled_action" "after_hours" {
  for_each           = local.autoscaled
  name               = "${var.name}-${each.key}-after-hours"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension
  schedule           = var.working_hours_end_cron

  scalable_target_action {
    min_capacity = each.value.min_count
    max_capacity = each.value.max_count
  }

  # Two scheduled actions on one target must not be written concurrently.
  depends_on = [aws_appautoscaling_scheduled_action.working_hours]
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
  to   = module.identity.aws_iam_role_policy.execution_secrets
}
