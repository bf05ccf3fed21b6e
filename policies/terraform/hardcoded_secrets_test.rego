package custos.terraform.hardcoded_secrets_test

import data.custos.terraform.hardcoded_secrets as tf010
import rego.v1

test_variables if {
	r := tf010.deny with input as parse_config("terraform", `
variable "db_password" { default = "Pg-Admin-2024" }
variable "signing" {
  sensitive = true
  default   = "k-9f8e7d6c5b"
}
variable "region" { default = "eu-west-1" }
variable "api_token" { default = "" }
`)
	count(r) == 2
}

test_resources_and_envs if {
	r := tf010.deny with input as parse_config("terraform", `
resource "aws_db_instance" "db" { password = "Pg-Admin-2024" }
resource "aws_rds_cluster" "c" { master_password = random_password.db.result }
resource "aws_lambda_function" "f" {
  environment {
    variables = { STRIPE_SECRET = "sk-literal-value-1", LOG_LEVEL = "info", DB_PASSWORD = var.db_password }
  }
}
resource "aws_instance" "vm" {
  user_data = <<EOT
#!/bin/bash
export GITHUB_TOKEN=ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q
EOT
}
resource "aws_ecs_task_definition" "t" {
  container_definitions = jsonencode([{ name = "app", environment = [{ name = "DB_PASSWORD", value = "Ecs-Pw-99" }, { name = "LEVEL", value = "x" }] }])
}
`)
	count(r) == 4
}

test_json_container_definitions if {
	r := tf010.deny with input as {"resource": {"aws_ecs_task_definition": {"t": {"container_definitions": "[{\"name\": \"app\", \"environment\": [{\"name\": \"API_KEY\", \"value\": \"k-3f9a8b7c6d\"}]}]"}}}}
	count(r) == 1
}

test_write_only_arguments if {
	r := tf010.deny with input as parse_config("terraform", `
resource "aws_db_instance" "db" {
  password_wo         = "Pg-Admin-2025"
  password_wo_version = 1
}
resource "google_bigquery_data_transfer_config" "s3" {
  sensitive_params {
    secret_access_key_wo = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
  }
}
resource "aws_ssm_parameter" "p" {
  value_wo = ephemeral.random_password.p.result
}
resource "aws_secretsmanager_secret_version" "v" {
  secret_string_wo = var.secret
}
`)
	{f.path | some f in r} == {
		["resource", "aws_db_instance", "db", "password_wo"],
		["resource", "google_bigquery_data_transfer_config", "s3", "sensitive_params", "secret_access_key_wo"],
	}
}

test_write_only_in_repeated_blocks if {
	inp := {"resource": {"x_thing": {"t": {"settings": [{"token_wo": "tok-3f9a8b7c6d5e"}, {"token_wo": "${var.t}"}]}}}}
	r := tf010.deny with input as inp
	{f.path | some f in r} == {["resource", "x_thing", "t", "settings", 0, "token_wo"]}
}

test_managed_service_admin_passwords if {
	r := tf010.deny with input as parse_config("terraform", `
resource "aws_directory_service_directory" "d" { password = "Dir-Admin-2025!" }
resource "azurerm_linux_virtual_machine" "vm" { admin_password = "Vm-Admin-2025!" }
resource "azurerm_windows_virtual_machine" "w" { admin_password = random_password.w.result }
`)
	count(r) == 2
}
