package custos.terraform.s3_controls_test

import data.custos.terraform.s3_kms as tf003
import data.custos.terraform.s3_logging as tf006
import data.custos.terraform.s3_object_lock as tf007
import data.custos.terraform.s3_public_access as tf004
import data.custos.terraform.s3_versioning as tf005
import rego.v1

sse(alg, key) := {"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": alg, "kms_master_key_id": key}}}

full_pab := {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

bucket(extra) := {"resource": {"aws_s3_bucket": {"b": object.union({"bucket": "acme-data"}, extra)}}}

test_kms_cmk_passes_sse_s3_and_aws_managed_fail if {
	count(tf003.deny) == 0 with input as bucket({"server_side_encryption_configuration": sse("aws:kms", "arn:aws:kms:eu-west-1:1:key/k")})
	count(tf003.deny) == 1 with input as bucket({"server_side_encryption_configuration": sse("AES256", "")})
	count(tf003.deny) == 1 with input as bucket({"server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}}})
	# No encryption at all is TF002's finding, not this one.
	count(tf003.deny) == 0 with input as bucket({})
}

test_public_access if {
	count(tf004.deny) == 0 with input as bucket({"public_access_block": full_pab, "acl": "private"})
	count(tf004.deny) == 1 with input as bucket({})
	count(tf004.deny) == 1 with input as bucket({"public_access_block": object.union(full_pab, {"restrict_public_buckets": false})})
	count(tf004.deny) == 1 with input as bucket({"public_access_block": full_pab, "acl": "public-read"})
}

test_versioning_both_styles if {
	count(tf005.deny) == 0 with input as bucket({"versioning": {"enabled": true}})
	count(tf005.deny) == 0 with input as bucket({"versioning": {"enabled": true, "status": "Enabled"}})
	count(tf005.deny) == 1 with input as bucket({"versioning": {"enabled": false, "status": "Suspended"}})
	count(tf005.deny) == 1 with input as bucket({})
}

test_logging_and_log_targets if {
	count(tf006.deny) == 1 with input as bucket({})
	count(tf006.deny) == 0 with input as bucket({"logging": {"target_bucket": "acme-logs"}})
	two := {"resource": {"aws_s3_bucket": {
		"data": {"bucket": "acme-data", "logging": {"target_bucket": "${aws_s3_bucket.logs.id}"}},
		"logs": {"bucket": "acme-logs"},
	}}}
	count(tf006.deny) == 0 with input as two
}

test_object_lock_for_audit_buckets if {
	audit := {"resource": {"aws_s3_bucket": {"a": {"bucket": "acme-audit-logs"}}}}
	count(tf007.deny) == 1 with input as audit
	count(tf007.deny) == 0 with input as {"resource": {"aws_s3_bucket": {"a": {"bucket": "acme-audit-logs", "object_lock_enabled": true}}}}
	count(tf007.deny) == 1 with input as {"resource": {"aws_s3_bucket": {"a": {"bucket": "x", "tags": {"Purpose": "cloudtrail"}}}}}
	count(tf007.deny) == 1 with input as bucket({}) with data.audit_buckets as ["acme-data"]
	count(tf007.deny) == 0 with input as bucket({})
}
