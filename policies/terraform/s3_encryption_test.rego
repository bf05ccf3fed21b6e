package custos.terraform.s3_encryption_test

import data.custos.terraform.s3_encryption as tf002
import rego.v1

test_bucket_without_encryption if {
	r := tf002.deny with input as parse_config("terraform", `resource "aws_s3_bucket" "raw" { bucket = "acme-raw" }`)
	count(r) == 1
	some f in r
	f.path == ["resource", "aws_s3_bucket", "raw"]
}

test_inline_v3_block if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "raw" {
  bucket = "acme-raw"
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
    }
  }
}`)
	count(r) == 0
}

test_v4_sibling_by_reference if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "raw" { bucket = "acme-raw" }
resource "aws_s3_bucket_server_side_encryption_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id
  rule {
    apply_server_side_encryption_by_default { sse_algorithm = "aws:kms" }
  }
}`)
	count(r) == 0
}

test_v4_sibling_by_literal_name if {
	r := tf002.deny with input as {"resource": {
		"aws_s3_bucket": {"raw": {"bucket": "acme-raw"}},
		"aws_s3_bucket_server_side_encryption_configuration": {"x": {"bucket": "acme-raw"}},
	}}
	count(r) == 0
}

test_sibling_for_another_bucket_does_not_count if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "raw" { bucket = "acme-raw" }
resource "aws_s3_bucket" "curated" { bucket = "acme-curated" }
resource "aws_s3_bucket_server_side_encryption_configuration" "c" {
  bucket = aws_s3_bucket.curated.bucket
}`)
	count(r) == 1
	some f in r
	f.path == ["resource", "aws_s3_bucket", "raw"]
}

test_counted_bucket_reference if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "logs" {
  count  = 2
  bucket = "acme-logs-${count.index}"
}
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count  = 2
  bucket = aws_s3_bucket.logs[count.index].id
}`)
	count(r) == 0
}

test_conditional_and_try_references if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "this" {
  count  = var.create ? 1 : 0
  bucket = var.bucket
}
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = var.create ? aws_s3_bucket.this[0].id : ""
}
resource "aws_s3_bucket" "other" { bucket = "acme-other" }
resource "aws_s3_bucket_server_side_encryption_configuration" "other" {
  bucket = try(one(aws_s3_bucket.other[*].id), null)
}`)
	count(r) == 0
}

test_a_configuration_naming_two_buckets_covers_neither if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "a" { bucket = "acme-a" }
resource "aws_s3_bucket" "b" { bucket = "acme-b" }
resource "aws_s3_bucket_server_side_encryption_configuration" "x" {
  bucket = var.first ? aws_s3_bucket.a.id : aws_s3_bucket.b.id
}`)
	count(r) == 2
}

test_data_sources_are_not_bucket_resources if {
	r := tf002.deny with input as parse_config("terraform", `
resource "aws_s3_bucket" "logs" { bucket = "acme-logs" }
resource "aws_s3_bucket_server_side_encryption_configuration" "x" {
  bucket = data.aws_s3_bucket.logs.id
}`)
	count(r) == 1
}
