package custos.terraform.provider_credentials_test

import data.custos.terraform.provider_credentials as tf001
import rego.v1

test_aws_literal_keys if {
	r := tf001.deny with input as parse_config("terraform", `
provider "aws" {
  region     = "us-east-1"
  access_key = "AKIA2E0A8F3B244C9986"
  secret_key = "c3VwZXJzZWNyZXRrZXl2YWx1ZWZvcnRlc3RpbmdvbmU"
}`)
	count(r) == 2
	{f.path | some f in r} == {["provider", "aws", "access_key"], ["provider", "aws", "secret_key"]}
}

test_aliased_providers_array if {
	r := tf001.deny with input as {"provider": {"aws": [{"region": "a"}, {"alias": "b", "token": "FwoGZXIvYXdzEJr"}]}}
	count(r) == 1
	some f in r
	f.path == ["provider", "aws", 1, "token"]
}

test_azure_and_google if {
	r := tf001.deny with input as {"provider": {
		"azurerm": {"client_secret": "s3cr3t~value"},
		"google": {"credentials": "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN\"}"},
	}}
	count(r) == 2
}

test_references_and_paths_pass if {
	r := tf001.deny with input as parse_config("terraform", `
provider "aws" {
  access_key = var.access_key
  secret_key = "${var.secret_key}"
}
provider "google" {
  credentials = file("sa.json")
}
provider "azurerm" {
  client_secret = ""
}`)
	count(r) == 0
}

test_google_credentials_path_is_not_a_secret if {
	r := tf001.deny with input as {"provider": {"google": {"credentials": "/etc/gcp/sa.json"}}}
	count(r) == 0
}
