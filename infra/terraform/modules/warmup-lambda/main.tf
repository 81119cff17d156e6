data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  schedules = {
    warm  = { expression = var.warm_schedule, input = { action = "warm", wait = true } }
    sleep = { expression = var.sleep_schedule, input = { action = "sleep" } }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 3600
  tags                              = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-lambda"
  description = "Warm-up Lambda: calls AWS APIs and the internal vLLM ALB /health"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-lambda" })

  egress {
    description = "vLLM /health on the internal ALB"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  #checkov:skip=CKV_AWS_382:ECS, ELB and SQS APIs are reached over HTTPS via NAT or endpoints; their addresses are not fixed CIDRs.
  egress {
    description = "HTTPS to ECS, ELB, SQS and X-Ray APIs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_356:elasticloadbalancing:DescribeTargetHealth supports no resource-level permissions; "*" is the only valid resource.
  #checkov:skip=CKV_AWS_111:The only "*" write-free action is DescribeTargetHealth (read-only); ecs:UpdateService is scoped to the vLLM services.
  statement {
    sid       = "ScaleVllmServices"
    actions   = ["ecs:UpdateService", "ecs:DescribeServices"]
    resources = var.service_arns
  }
  statement {
    sid       = "ReadTargetHealth"
    actions   = ["elasticloadbalancing:DescribeTargetHealth"]
    resources = ["*"]
  }
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "warmup"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# ENI management for VPC access and X-Ray segment upload; both AWS-managed and unscoped by design.
resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset([
    "service-role/AWSLambdaENIManagementAccess",
    "AWSXRayDaemonWriteAccess",
  ])
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and a signed-artifact pipeline this project does not run; the zip is built from the repo by CI.
  function_name                  = var.name
  description                    = "Wakes the vLLM ECS services and waits until they are healthy, or scales them to zero"
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.12"
  handler                        = "warmup.handler.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  timeout                        = var.timeout_seconds
  memory_size                    = 256
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      WARMUP_CLUSTER       = var.cluster_name
      WARMUP_TARGETS       = jsonencode(var.targets)
      WARMUP_DEFAULT_COUNT = tostring(var.warm_count)
      WARMUP_POLL_SECONDS  = tostring(var.poll_seconds)
    }
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy_attachment.managed]
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each            = local.schedules
  name                = "${var.name}-${each.key}"
  description         = "${each.key} the vLLM services on schedule"
  schedule_expression = each.value.expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.schedules
  rule     = aws_cloudwatch_event_rule.this[each.key].name
  arn      = aws_lambda_function.this.arn
  input    = jsonencode(each.value.input)

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "events" {
  for_each      = local.schedules
  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}
