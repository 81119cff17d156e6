# Sharded index build: a Step Functions Map state runs the indexer task definition as shard_count parallel
# Fargate tasks (`rag-index build --shard i/n`, each publishing below <index>/shards/i-of-n/), then one merge
# task (`rag-index merge`) joins them and publishes the index with the same atomic CURRENT switch.
# Created when sharded_build is true (the stack's default). moto lacks two of the calls the provider makes for it;
# tests/infra/moto_sfn.py adds them, so the emulator apply covers it.
# Start it with `aws stepfunctions start-execution --state-machine-arn <output state_machine_arn>`.

locals {
  shard_commands = [
    for i in range(var.shard_count) : concat(
      ["rag-index", "build", "--corpus", "/work/corpus", "--out", "/work/index", "--quiet"],
      ["--corpus-url", local.corpus_url, "--shard", "${i}/${var.shard_count}"],
      ["--publish", "${local.index_url}/shards/${i}-of-${var.shard_count}"],
    )
  ]
  merge_command = [
    "rag-index", "merge", "--shards-url", local.index_url, "--count", tostring(var.shard_count),
    "--out", "/work/index", "--publish", local.index_url,
  ]
  run_task = {
    Cluster        = var.cluster_arn
    TaskDefinition = aws_ecs_task_definition.this.arn
    LaunchType     = "FARGATE"
    NetworkConfiguration = {
      AwsvpcConfiguration = {
        Subnets        = var.subnet_ids
        SecurityGroups = [aws_security_group.this.id]
        AssignPublicIp = "DISABLED"
      }
    }
  }
  # A spot reclaim or a throttled RunTask is worth another try; a failing build is not retried forever.
  task_retry = [{
    ErrorEquals     = ["States.TaskFailed", "ECS.AmazonECSException"]
    IntervalSeconds = 30
    MaxAttempts     = 2
    BackoffRate     = 2
  }]
  definition = {
    Comment = "Sharded index build: ${var.shard_count} parallel indexer tasks, then one merge task"
    StartAt = "Plan"
    States = {
      Plan = {
        Type   = "Pass"
        Result = [for command in local.shard_commands : { command = command }]
        Next   = "BuildShards"
      }
      BuildShards = {
        Type           = "Map"
        MaxConcurrency = var.shard_count
        ItemProcessor = {
          ProcessorConfig = { Mode = "INLINE" }
          StartAt         = "BuildShard"
          States = {
            BuildShard = {
              Type     = "Task"
              Resource = "arn:${data.aws_partition.current.partition}:states:::ecs:runTask.sync"
              Parameters = merge(local.run_task, {
                Overrides = { ContainerOverrides = [{ Name = "indexer", "Command.$" = "$.command" }] }
              })
              Retry = local.task_retry
              End   = true
            }
          }
        }
        ResultPath = null
        Next       = "Merge"
      }
      Merge = {
        Type     = "Task"
        Resource = "arn:${data.aws_partition.current.partition}:states:::ecs:runTask.sync"
        Parameters = merge(local.run_task, {
          Overrides = { ContainerOverrides = [{ Name = "indexer", Command = local.merge_command }] }
        })
        Retry = local.task_retry
        End   = true
      }
    }
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_cloudwatch_log_group" "state_machine" {
  count = var.sharded_build ? 1 : 0

  name              = "/aws/vendedlogs/states/${var.name}-sharded-build"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  count = var.sharded_build ? 1 : 0

  name               = "${var.name}-sharded-build"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "RunIndexerTasks"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.this.arn_without_revision, "${aws_ecs_task_definition.this.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "WatchIndexerTasks"
    actions   = ["ecs:StopTask", "ecs:DescribeTasks"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task/*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [module.identity.execution_role_arn, module.identity.task_role_arn]
  }
  statement {
    # runTask.sync waits on ECS task state changes through this Step Functions-managed EventBridge rule.
    sid       = "SyncRule"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"]
  }
  statement {
    #checkov:skip=CKV_AWS_111:CloudWatch Logs log delivery APIs do not support resource-level permissions.
    #checkov:skip=CKV_AWS_356:CloudWatch Logs log delivery APIs do not support resource-level permissions.
    sid = "DeliverLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  count = var.sharded_build ? 1 : 0

  name   = "run-sharded-build"
  role   = aws_iam_role.state_machine[0].id
  policy = data.aws_iam_policy_document.state_machine.json
}

resource "aws_sfn_state_machine" "this" {
  count = var.sharded_build ? 1 : 0

  name       = "${var.name}-sharded-build"
  role_arn   = aws_iam_role.state_machine[0].arn
  definition = jsonencode(local.definition)
  tags       = var.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine[0].arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  lifecycle {
    precondition {
      condition     = local.corpus_url != ""
      error_message = "The sharded build reads its filings from S3: set corpus_prefix."
    }
  }
}
