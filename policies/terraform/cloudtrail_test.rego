package custos.terraform.cloudtrail_test

import data.custos.terraform.cloudtrail as tf008
import rego.v1

test_each_control_is_its_own_finding if {
	r := tf008.deny with input as {"resource": {"aws_cloudtrail": {"t": {"name": "main"}}}}
	count(r) == 3
}

test_compliant_trail if {
	r := tf008.deny with input as parse_config("terraform", `
resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = aws_s3_bucket.trail.id
  enable_log_file_validation = true
  is_multi_region_trail      = true
  kms_key_id                 = aws_kms_key.trail.arn
}`)
	count(r) == 0
}

test_empty_key_and_unresolved_settings if {
	r := tf008.deny with input as {"resource": {"aws_cloudtrail": {"t": {
		"kms_key_id": "",
		"enable_log_file_validation": "${var.validate}",
		"is_multi_region_trail": false,
	}}}}
	{f.path | some f in r} == {["resource", "aws_cloudtrail", "t", "kms_key_id"], ["resource", "aws_cloudtrail", "t", "is_multi_region_trail"]}
}
