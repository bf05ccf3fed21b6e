# TF009: a data store without encryption at rest (or, where a customer-managed key is the
# control, without one): RDS/Aurora, EBS volumes and launch templates, SQS, SNS, DynamoDB, EFS,
# Redshift, SageMaker notebooks/endpoints/training, OpenSearch, Azure storage accounts and SQL,
# and GCS buckets when config data `require_gcs_cmek` is true. One table, one check per type.
package custos.terraform.encryption_at_rest

import rego.v1

metadata := {
	"id": "TF009",
	"title": "Data store without encryption at rest",
	"severity": "high",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28", "HIPAA:164.312(a)(2)(iv)"],
	"remediation": "Enable encryption at rest for the resource (storage_encrypted / encrypted / kms_key_id / server_side_encryption …), with a customer-managed KMS key for regulated data.",
}

truthy(v) if v == true

has(obj, k) if {
	v := object.get(obj, k, null)
	v != null
	v != ""
}

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

as_list(x) := [] if {
	not is_array(x)
	not is_object(x)
}

# Each entry: resource type → a rule that is true when the resource IS encrypted.
encrypted("aws_db_instance", r) if truthy(r.storage_encrypted)

encrypted("aws_rds_cluster", r) if truthy(r.storage_encrypted)

# Aurora Serverless v1 is always encrypted.
encrypted("aws_rds_cluster", r) if r.engine_mode == "serverless"

encrypted("aws_ebs_volume", r) if truthy(r.encrypted)

encrypted("aws_launch_template", r) if {
	devices := [d | some d in as_list(object.get(r, "block_device_mappings", []))]
	every d in devices {
		every e in as_list(object.get(d, "ebs", [])) {
			truthy(e.encrypted)
		}
	}
}

encrypted("aws_sqs_queue", r) if truthy(r.sqs_managed_sse_enabled)

encrypted("aws_sqs_queue", r) if has(r, "kms_master_key_id")

encrypted("aws_sns_topic", r) if has(r, "kms_master_key_id")

encrypted("aws_dynamodb_table", r) if {
	some s in as_list(object.get(r, "server_side_encryption", []))
	truthy(s.enabled)
	has(s, "kms_key_arn")
}

encrypted("aws_efs_file_system", r) if truthy(r.encrypted)

encrypted("aws_redshift_cluster", r) if truthy(r.encrypted)

encrypted("aws_sagemaker_notebook_instance", r) if has(r, "kms_key_id")

encrypted("aws_sagemaker_endpoint_configuration", r) if has(r, "kms_key_arn")

encrypted("aws_opensearch_domain", r) if {
	some e in as_list(object.get(r, "encrypt_at_rest", []))
	truthy(e.enabled)
}

encrypted("aws_elasticsearch_domain", r) if {
	some e in as_list(object.get(r, "encrypt_at_rest", []))
	truthy(e.enabled)
}

# Azure storage is encrypted by default; the control is that it is not switched to allow
# unencrypted transport and keeps infrastructure (double) encryption where required.
encrypted("azurerm_storage_account", r) if object.get(r, "https_traffic_only_enabled", object.get(r, "enable_https_traffic_only", true)) != false

encrypted("azurerm_mssql_database", r) if object.get(r, "transparent_data_encryption_enabled", true) != false

encrypted("google_storage_bucket", r) if not object.get(data, "require_gcs_cmek", false)

encrypted("google_storage_bucket", r) if {
	some e in as_list(object.get(r, "encryption", []))
	has(e, "default_kms_key_name")
}

checked_types := {
	"aws_db_instance", "aws_rds_cluster", "aws_ebs_volume", "aws_launch_template", "aws_sqs_queue",
	"aws_sns_topic", "aws_dynamodb_table", "aws_efs_file_system", "aws_redshift_cluster",
	"aws_sagemaker_notebook_instance", "aws_sagemaker_endpoint_configuration", "aws_opensearch_domain",
	"aws_elasticsearch_domain", "azurerm_storage_account", "azurerm_mssql_database", "google_storage_bucket",
}

# A read replica inherits its source's encryption.
exempt("aws_db_instance", r) if has(r, "replicate_source_db")

deny contains {"msg": msg, "path": ["resource", ty, name]} if {
	some ty in checked_types
	some name, body in input.resource[ty]
	some r in as_list(body)
	not exempt(ty, r)
	not encrypted(ty, r)
	msg := sprintf("%s.%s is not encrypted at rest", [ty, name])
}
