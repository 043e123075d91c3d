# Every input, and the ways a platform pipeline calls a module: for_each over two instances in one region, count,
# depends_on, and a second region through an aliased provider.
terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

locals {
  teams = {
    orders  = { database = "orders", results = "s3://analytics-results-eu/orders/" }
    billing = { database = "billing", results = "s3://analytics-results-eu/billing/" }
  }
}

resource "aws_sqs_queue" "ready_marker" {
  name = "async-athena-complete-example-ready"
}

module "team_queries" {
  source   = "../../terraform/async-athena-query"
  for_each = local.teams

  name_prefix           = "queries-${each.key}"
  output_location       = each.value.results
  workgroup             = "analytics"
  database              = each.value.database
  glue_databases        = [each.value.database, "shared"]
  source_data_locations = ["s3://analytics-lake-eu/${each.key}/", "s3://analytics-lake-eu/shared/"]
  results_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  query_timeout_seconds = 3600

  tags = { team = each.key, cost-center = "data-platform" }

  presign_expiry_seconds              = 900
  allowed_callback_hosts              = ["hooks.example.com", "*.internal-hooks.example.com"]
  allowed_callback_ports              = [443, 8443]
  disable_webhook_signing             = false
  existing_signing_secret_arn         = null
  signing_secret_kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000"
  signing_secret_recovery_window_days = 7
  callbacker_memory_mb                = 512
  callbacker_timeout_seconds          = 60
  callbacker_reserved_concurrency     = 20

  athena_throttle_retry = { max_attempts = 60, max_delay_seconds = 60 }
  callback_retry        = { interval_seconds = 10 }

  stage_name                      = "v1"
  throttling_rate_limit           = 20
  throttling_burst_limit          = 40
  api_logging_level               = "INFO"
  web_acl_arn                     = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api-protection/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
  manage_api_gateway_account_role = false

  log_retention_days            = 90
  logs_kms_key_arn              = null
  dead_letter_queue_kms_key_arn = null

  depends_on = [aws_sqs_queue.ready_marker]
}

# The same inputs in a second region of the same account: IAM role names carry the region, so nothing collides.
module "orders_us" {
  source    = "../../terraform/async-athena-query"
  count     = 1
  providers = { aws = aws.us }

  name_prefix     = "queries-orders"
  output_location = "s3://analytics-results-us/orders/"
  database        = "orders"
}

output "api_invoke_urls" {
  value = merge({ for team, queries in module.team_queries : team => queries.api_invoke_url }, { orders-us = module.orders_us[0].api_invoke_url })
}
