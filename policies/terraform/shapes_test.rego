# Every Terraform rule is total: it evaluates without error on every shape valid Terraform can
# take once parsed and resolved — null, unresolved expressions ("${merge(…)}"), lists where maps
# are usual and scalars where blocks are, empty and missing blocks, dynamic blocks — for every
# resource type and attribute the rules read. A rule that calls a builtin on the wrong type
# makes its test ERROR here.
package custos.terraform.shapes_test

import data.custos.terraform.cloudtrail as tf008
import data.custos.terraform.customer_managed_keys as tf011
import data.custos.terraform.encryption_at_rest as tf009
import data.custos.terraform.encryption_in_transit as tf013
import data.custos.terraform.hardcoded_secrets as tf010
import data.custos.terraform.kms_rotation as tf012
import data.custos.terraform.provider_credentials as tf001
import data.custos.terraform.s3_encryption as tf002
import data.custos.terraform.s3_kms as tf003
import data.custos.terraform.s3_logging as tf006
import data.custos.terraform.s3_object_lock as tf007
import data.custos.terraform.s3_public_access as tf004
import data.custos.terraform.s3_versioning as tf005
import rego.v1

weird := [
	null, "${merge(var.tags, { Name = \"x\" })}", "${var.x}", "", "text", "true", 7776001, false,
	[], {}, [null], ["text", "${var.y}"], [{}], {"k": null}, {"dynamic": {"rule": {"for_each": "${var.r}", "content": {}}}},
]

types := [
	"aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_logging", "aws_s3_object",
	"aws_s3_bucket_object", "aws_cloudtrail", "aws_db_instance", "aws_rds_cluster", "aws_neptune_cluster",
	"aws_neptune_cluster_snapshot", "aws_docdb_cluster", "aws_docdb_cluster_snapshot", "aws_db_snapshot",
	"aws_db_cluster_snapshot", "aws_ebs_volume", "aws_ebs_snapshot", "aws_ebs_snapshot_copy",
	"aws_ebs_encryption_by_default", "aws_efs_file_system", "aws_redshift_cluster", "aws_elasticache_replication_group",
	"aws_sns_topic", "aws_sqs_queue", "aws_dynamodb_table", "aws_kinesis_stream", "aws_opensearch_domain",
	"aws_elasticsearch_domain", "aws_instance", "aws_launch_configuration", "aws_launch_template",
	"aws_sagemaker_notebook_instance", "aws_sagemaker_endpoint_configuration", "aws_sagemaker_model",
	"aws_lambda_function", "aws_ecs_task_definition", "aws_ecr_repository", "aws_eks_cluster", "aws_msk_cluster",
	"aws_kms_key", "aws_secretsmanager_secret_version", "azurerm_storage_account",
	"azurerm_storage_account_network_rules", "azurerm_mssql_database", "azurerm_mssql_server",
	"google_storage_bucket", "google_storage_bucket_iam_binding", "google_storage_bucket_iam_member",
	"google_storage_bucket_acl", "google_project_organization_policy", "google_kms_crypto_key", "google_sql_user",
]

attrs := [
	"bucket", "tags", "acl", "policy", "logging", "target_bucket", "versioning", "enabled", "status",
	"server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default", "sse_algorithm",
	"kms_master_key_id", "public_access_block", "block_public_acls", "block_public_policy", "ignore_public_acls",
	"restrict_public_buckets", "object_lock_enabled", "object_lock_configuration", "custos_log_target",
	"enable_log_file_validation", "is_multi_region_trail", "kms_key_id", "storage_encrypted", "encrypted",
	"at_rest_encryption_enabled", "replicate_source_db", "snapshot_identifier", "engine_mode", "snapshot_id",
	"sqs_managed_sse_enabled", "server_side_encryption", "kms_key_arn", "encryption_type", "encrypt_at_rest",
	"root_block_device", "ebs_block_device", "block_device_mappings", "ebs", "device_name", "volume_id",
	"db_cluster_identifier", "db_instance_identifier", "https_traffic_only_enabled", "enable_https_traffic_only",
	"transparent_data_encryption_enabled", "encryption", "default_kms_key_name", "allow_blob_public_access",
	"allow_nested_items_to_be_public", "public_network_access_enabled", "network_rules", "default_action",
	"storage_account_id", "storage_account_name", "uniform_bucket_level_access", "public_access_prevention",
	"constraint", "name", "members", "member", "role_entity", "entity", "blob_properties", "versioning_enabled",
	"account_kind", "is_hns_enabled", "encryption_configuration", "encryption_config", "resources",
	"encryption_info", "encryption_at_rest_kms_key_arn", "encryption_in_transit", "client_broker", "in_cluster",
	"transit_encryption_enabled", "node_to_node_encryption", "domain_endpoint_options", "enforce_https",
	"enable_key_rotation", "customer_master_key_spec", "key_spec", "key_usage", "custom_key_store_id",
	"rotation_period", "purpose", "password", "master_password",
	"administrator_login_password", "environment", "variables", "primary_container", "container_definitions",
	"user_data", "dynamic",
]

# What the rules read inside blocks.
block_attrs := [
	"enabled", "status", "sse_algorithm", "kms_master_key_id", "block_public_acls", "block_public_policy",
	"ignore_public_acls", "restrict_public_buckets", "target_bucket", "object_lock_enabled", "rule",
	"apply_server_side_encryption_by_default", "encrypted", "kms_key_arn", "snapshot_id", "device_name", "ebs",
	"default_kms_key_name", "default_action", "versioning_enabled", "encryption_type", "resources",
	"encryption_at_rest_kms_key_arn", "encryption_in_transit", "client_broker", "in_cluster", "enforce_https",
	"variables", "environment", "name", "value", "dynamic",
]

blocks := [
	"logging", "versioning", "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default",
	"public_access_block", "object_lock_configuration", "server_side_encryption", "encrypt_at_rest",
	"root_block_device", "ebs_block_device", "block_device_mappings", "ebs", "encryption", "network_rules",
	"blob_properties", "encryption_configuration", "encryption_config", "encryption_info",
	"encryption_in_transit", "node_to_node_encryption", "domain_endpoint_options", "environment",
	"primary_container",
]

# Every attribute set to w.
flat(w) := {a: w | some a in attrs}

block(w) := {a: w | some a in block_attrs}

# Every block set to a body whose attributes are all w, as one block and as a repeated block.
nested(w) := object.union(flat(w), {b: block(w) | some b in blocks})

nested_list(w) := object.union(flat(w), {b: [block(w), w] | some b in blocks})

# Three levels, where the rules read that deep (S3 encryption defaults, EBS mappings, MSK).
deep(w) := object.union(flat(w), {
	"server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": block(w)}},
	"block_device_mappings": [{"ebs": [block(w)]}],
	"encryption_info": {"encryption_in_transit": [block(w), w]},
	"rule": [{"apply_server_side_encryption_by_default": w}],
})

bodies(w) := [flat(w), nested(w), nested_list(w), deep(w), [nested(w), w]]

# One document holds every resource type with the same body (fewer, larger evaluations).
inputs contains {"resource": {ty: w | some ty in types}} if some w in weird

inputs contains {"resource": {ty: {"x": w} | some ty in types}} if some w in weird

# Inside the larger bodies, one value of each kind.
body_weird := [null, "${merge(var.tags, {})}", "", "true", 7776001, false, [], {}, ["text", "${var.y}"], [{}]]

inputs contains {"resource": {ty: {"x": body} | some ty in types}} if {
	some w in body_weird
	some body in bodies(w)
}

# Write-only arguments in every shape, top level and in blocks (kept to a few types: the
# scan for them runs only on resources that have one).
wo_body(w) := {"password_wo": w, "password_wo_version": w, "sensitive_params": [{"secret_access_key_wo": w}, w], "settings": {"value_wo": w}}

inputs contains {"resource": {ty: {"x": wo_body(w), "y": [wo_body(w), w]} | some ty in ["aws_db_instance", "google_bigquery_data_transfer_config"]}} if {
	some w in weird
}

# Whole sections of odd shapes.
inputs contains {k: w} if {
	some k in ["resource", "variable", "provider"]
	some w in weird
}

inputs contains {"variable": {"db_password": body}, "provider": {"aws": body, "google": [body, w]}} if {
	some w in body_weird
	some body in bodies(w)
}

# Four tests, so that each stays well inside the per-test time limit.
test_s3_rules_are_total if {
	count(inputs) > 100
	every inp in inputs {
		_ := tf002.deny with input as inp
		_ := tf003.deny with input as inp
		_ := tf004.deny with input as inp
		_ := tf005.deny with input as inp
		_ := tf006.deny with input as inp
		_ := tf007.deny with input as inp with data.audit_buckets as ["text"]
	}
}

test_encryption_at_rest_rules_are_total if {
	every inp in inputs {
		_ := tf008.deny with input as inp
		_ := tf009.deny with input as inp with data.require_gcs_cmek as true
	}
}

test_key_and_transit_rules_are_total if {
	every inp in inputs {
		_ := tf011.deny with input as inp
		_ := tf012.deny with input as inp
		_ := tf013.deny with input as inp
	}
}

# The secret rules read a few types, and scan every resource only for `_wo` keys (covered by
# the write-only inputs): they get the same shapes on the types they read.
secret_types := [
	"aws_db_instance", "aws_rds_cluster", "aws_lambda_function", "aws_sagemaker_model", "aws_ecs_task_definition",
	"aws_instance", "aws_launch_template", "azurerm_mssql_server", "google_sql_user",
]

secret_inputs contains {"resource": {ty: {"x": body} | some ty in secret_types}} if {
	some w in body_weird
	some body in bodies(w)
}

secret_inputs contains inp if {
	some inp in inputs
	not inp.resource.aws_s3_bucket.x
}

test_secret_rules_are_total if {
	every inp in secret_inputs {
		_ := tf001.deny with input as inp
		_ := tf010.deny with input as inp
	}
}

# The case that used to break TF007: a null bucket name and tags that are an expression.
test_null_name_and_unresolved_tags if {
	r := tf007.deny with input as {"resource": {"aws_s3_bucket": {"b": {"bucket": null, "tags": "${merge(var.tags, {})}"}}}}
	count(r) == 0
}

# Config data of the wrong type is not an error either.
test_odd_config_data if {
	inp := {"resource": {"aws_s3_bucket": {"b": {"bucket": "acme-audit"}}}}
	count(tf007.deny) == 1 with input as inp with data.audit_buckets as "acme-audit"
	count(tf007.deny) == 1 with input as inp with data.audit_buckets as {"x": 1}
}
