# The smallest root module: one instance with every default. Run `terraform init && terraform apply` here after
# setting AWS credentials; the region comes from the provider below.
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

module "async_athena" {
  # Users call it from git: "git::https://github.com/async-athena-query/cdktf-async-athena-query.git//terraform/async-athena-query?ref=v0.2.0"
  source = "../../terraform/async-athena-query"

  output_location = "s3://my-athena-results/async/"
}

output "api_invoke_url" {
  description = "POST queries here, signed with SigV4 for execute-api."
  value       = module.async_athena.api_invoke_url
}
