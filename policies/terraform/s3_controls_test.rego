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

test_kms_finding_points_at_the_algorithm_or_the_missing_key if {
	r := tf003.deny with input as bucket({"server_side_encryption_configuration": sse("AES256", "")})
	{f.path | some f in r} == {["resource", "aws_s3_bucket", "b", "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default", "sse_algorithm"]}
	m := tf003.deny with input as bucket({"server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}}})
	{f.path | some f in m} == {["resource", "aws_s3_bucket", "b", "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default"]}
	# The AWS-managed key is not customer-managed; an unresolved algorithm is not judged.
	count(tf003.deny) == 1 with input as bucket({"server_side_encryption_configuration": sse("aws:kms", "alias/aws/s3")})
	count(tf003.deny) == 0 with input as bucket({"server_side_encryption_configuration": sse("${var.alg}", "")})
}

test_unresolved_public_access_settings_are_not_judged if {
	count(tf004.deny) == 0 with input as bucket({"public_access_block": object.union(full_pab, {"restrict_public_buckets": "${var.restrict}"})})
	count(tf004.deny) == 0 with input as bucket({"public_access_block": object.union(full_pab, {"block_public_acls": "true"})})
}

azure(extra) := {"resource": {"azurerm_storage_account": {"sa": object.union(
	{"name": "acme", "allow_nested_items_to_be_public": false, "public_network_access_enabled": false, "blob_properties": {"versioning_enabled": true}},
	extra,
)}}}

gcs(extra) := {"resource": {"google_storage_bucket": {"g": object.union(
	{"name": "acme", "uniform_bucket_level_access": true, "public_access_prevention": "enforced", "versioning": {"enabled": true}},
	extra,
)}}}

test_azure_storage_public_access if {
	count(tf004.deny) == 0 with input as azure({})
	count(tf004.deny) == 1 with input as azure({"allow_nested_items_to_be_public": true})
	count(tf004.deny) == 1 with input as azure({"allow_nested_items_to_be_public": null})
	count(tf004.deny) == 1 with input as azure({"public_network_access_enabled": true})
	count(tf004.deny) == 0 with input as azure({"public_network_access_enabled": true, "network_rules": {"default_action": "Deny"}})
	count(tf004.deny) == 0 with input as azure({"allow_nested_items_to_be_public": "${var.public}"})
}

test_azure_network_rules_resource if {
	inp := {"resource": {
		"azurerm_storage_account": {"sa": {"allow_nested_items_to_be_public": false}},
		"azurerm_storage_account_network_rules": {"r": {"storage_account_id": "${azurerm_storage_account.sa.id}", "default_action": "Deny"}},
	}}
	count(tf004.deny) == 0 with input as inp
}

test_gcs_public_access if {
	count(tf004.deny) == 0 with input as gcs({})
	count(tf004.deny) == 1 with input as gcs({"uniform_bucket_level_access": false})
	count(tf004.deny) == 1 with input as gcs({"public_access_prevention": "inherited"})
	count(tf004.deny) == 0 with input as object.union(gcs({"public_access_prevention": null}), {"resource": {"google_project_organization_policy": {"p": {"constraint": "storage.publicAccessPrevention"}}}})
	grants := {"resource": {
		"google_storage_bucket_iam_member": {"m": {"member": "allUsers"}, "ok": {"member": "group:a@example.com"}},
		"google_storage_bucket_iam_binding": {"b": {"members": ["user:a@example.com", "allAuthenticatedUsers"]}},
	}}
	count(tf004.deny) == 2 with input as grants
}

test_azure_and_gcs_versioning if {
	count(tf005.deny) == 0 with input as azure({})
	count(tf005.deny) == 1 with input as azure({"blob_properties": {"versioning_enabled": false}})
	count(tf005.deny) == 1 with input as azure({"blob_properties": null})
	count(tf005.deny) == 0 with input as azure({"blob_properties": null, "is_hns_enabled": true})
	count(tf005.deny) == 0 with input as azure({"blob_properties": null, "account_kind": "FileStorage"})
	count(tf005.deny) == 0 with input as gcs({})
	count(tf005.deny) == 1 with input as gcs({"versioning": {"enabled": false}})
	count(tf005.deny) == 1 with input as gcs({"versioning": null})
	count(tf005.deny) == 0 with input as gcs({"versioning": {"enabled": "${var.v}"}})
}

test_object_lock_turns_versioning_on if {
	count(tf005.deny) == 0 with input as bucket({"object_lock_enabled": true})
	count(tf005.deny) == 0 with input as bucket({"object_lock_configuration": {"object_lock_enabled": "Enabled"}})
}

audit(extra) := {"resource": {"aws_s3_bucket": {"a": object.union({"bucket": "acme-audit-logs"}, extra)}}}

test_object_lock_shapes if {
	count(tf007.deny) == 0 with input as audit({"object_lock_enabled": "${var.lock}"})
	count(tf007.deny) == 0 with input as audit({"object_lock_configuration": {"object_lock_enabled": "Enabled"}})
	count(tf007.deny) == 0 with input as audit({"object_lock_configuration": [{"rule": {"default_retention": {"mode": "COMPLIANCE"}}}]})
	count(tf007.deny) == 1 with input as audit({"object_lock_configuration": "${var.lock}", "object_lock_enabled": false})
}
