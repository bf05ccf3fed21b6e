# TF009: a data store without encryption at rest (or, where a customer-managed key is the
# control, without one):
# - one boolean that must be true: RDS/Aurora, Neptune and DocumentDB clusters
#   (`storage_encrypted`), EBS volumes and snapshot copies, EFS, Redshift (`encrypted`),
#   ElastiCache replication groups (`at_rest_encryption_enabled`);
# - a key that must be set: SNS, SageMaker notebooks and endpoints; SQS only when its default
#   SSE-SQS is switched off;
#   DynamoDB (`server_side_encryption` with a KMS key); Kinesis streams (`encryption_type =
#   "KMS"`); OpenSearch/Elasticsearch (`encrypt_at_rest`);
# - EC2 block devices: every `root_block_device`/`ebs_block_device` of an instance or launch
#   configuration (a missing root block device is the AMI's unencrypted default), and every
#   `block_device_mappings.ebs` of a launch template — unless the document turns on
#   `aws_ebs_encryption_by_default`;
# - snapshots of an unencrypted volume or cluster declared in the same document
#   (`aws_ebs_snapshot`, `aws_db_snapshot`, `aws_db_cluster_snapshot`,
#   `aws_neptune_cluster_snapshot`, `aws_docdb_cluster_snapshot`);
# - Azure storage (HTTPS-only not switched off) and SQL (TDE not switched off), and GCS buckets
#   without a CMEK when config data `require_gcs_cmek` is true.
# A finding points at the attribute when it is written, at the resource when it is missing.
# Values that are unresolved expressions are not judged; restores from a snapshot and read
# replicas inherit their source's encryption and are exempt.
package custos.terraform.encryption_at_rest

import data.custos.lib.terraform as tf
import data.custos.lib.terraform.by_type
import rego.v1

metadata := {
	"id": "TF009",
	"title": "Data store without encryption at rest",
	"description": "A data store not encrypted at rest: RDS and Aurora, Neptune, DocumentDB, EBS volumes and snapshot copies, EC2 root and EBS block devices of instances, launch configurations and templates (unless `aws_ebs_encryption_by_default`), snapshots of unencrypted volumes and clusters, EFS, Redshift, ElastiCache, Kinesis, SQS (SSE-SQS switched off), SNS, DynamoDB, SageMaker, OpenSearch, Azure storage and SQL, and GCS (customer-managed keys when `data.require_gcs_cmek`). Unencrypted storage exposes data to whoever reaches the disks, snapshots or backups, and fails the encryption-at-rest controls of SOC 2, ISO 27001 and GDPR.",
	"severity": "high",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28", "HIPAA:164.312(a)(2)(iv)"],
	"remediation": "Enable encryption at rest for the resource (storage_encrypted / encrypted / at_rest_encryption_enabled / kms_key_id / encryption_type = \"KMS\" …), with a customer-managed KMS key for regulated data; for EC2, set encrypted = true on every root_block_device and ebs_block_device, or turn on aws_ebs_encryption_by_default.",
}

# Encryption is one boolean argument that must be true (it defaults to false).
bool_controls := {
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_neptune_cluster": "storage_encrypted",
	"aws_docdb_cluster": "storage_encrypted",
	"aws_ebs_volume": "encrypted",
	"aws_ebs_snapshot_copy": "encrypted",
	"aws_efs_file_system": "encrypted",
	"aws_redshift_cluster": "encrypted",
	"aws_elasticache_replication_group": "at_rest_encryption_enabled",
}

# Encryption is a KMS key argument that must be set.
key_controls := {
	"aws_sns_topic": "kms_master_key_id",
	"aws_sagemaker_notebook_instance": "kms_key_id",
	"aws_sagemaker_endpoint_configuration": "kms_key_arn",
}

ebs_encryption_by_default if {
	some [_, _, e] in by_type["aws_ebs_encryption_by_default"]
	not tf.false_value(tf.get(e, "enabled", true))
}

ebs_types := {"aws_ebs_volume", "aws_ebs_snapshot_copy"}

exempt(ty, _) if {
	ty in ebs_types
	ebs_encryption_by_default
}

# A read replica inherits its source's encryption.
exempt("aws_db_instance", r) if tf.set(tf.get(r, "replicate_source_db", null))

# A restore inherits the snapshot's encryption.
exempt(ty, r) if {
	ty in {"aws_db_instance", "aws_rds_cluster", "aws_neptune_cluster", "aws_docdb_cluster"}
	tf.set(tf.get(r, "snapshot_identifier", null))
}

# Aurora Serverless v1 is always encrypted.
exempt("aws_rds_cluster", r) if tf.get(r, "engine_mode", null) == "serverless"

# [type, name, finding path, attribute] of every store whose boolean control is known off.
unencrypted contains [ty, name, tf.at(path, r, attr), attr] if {
	some ty, attr in bool_controls
	some [path, name, r] in by_type[ty]
	not exempt(ty, r)
	tf.known_not_true(tf.get(r, attr, false))
}

deny contains {"msg": msg, "path": path} if {
	some [ty, name, path, attr] in unencrypted
	msg := sprintf("%s.%s is not encrypted at rest (%s is not true)", [ty, name, attr])
}

deny contains {"msg": msg, "path": tf.at(path, r, attr)} if {
	some ty, attr in key_controls
	some [path, name, r] in by_type[ty]
	not tf.set(tf.get(r, attr, null))
	msg := sprintf("%s.%s is not encrypted at rest with a KMS key (%s is not set)", [ty, name, attr])
}

# SQS encrypts new queues with SSE-SQS unless it is switched off: only an explicit
# `sqs_managed_sse_enabled = false` without a KMS key leaves messages unencrypted.
deny contains {"msg": msg, "path": array.concat(path, ["sqs_managed_sse_enabled"])} if {
	some [path, name, r] in by_type["aws_sqs_queue"]
	tf.false_value(r.sqs_managed_sse_enabled)
	not tf.set(tf.get(r, "kms_master_key_id", null))
	msg := sprintf("aws_sqs_queue.%s is not encrypted at rest (SSE-SQS switched off, no KMS key)", [name])
}

deny contains {"msg": msg, "path": tf.at_block(path, r, "server_side_encryption", "enabled")} if {
	some [path, name, r] in by_type["aws_dynamodb_table"]
	not dynamodb_kms(r)
	not dynamodb_unknown(r)
	msg := sprintf("aws_dynamodb_table.%s is not encrypted with a KMS key (server_side_encryption)", [name])
}

dynamodb_kms(r) if {
	some s in tf.blocks(r, "server_side_encryption")
	tf.true_value(tf.get(s, "enabled", null))
	tf.set(tf.get(s, "kms_key_arn", null))
}

dynamodb_unknown(r) if tf.unknown(tf.get(r, "server_side_encryption", null))

dynamodb_unknown(r) if {
	some s in tf.blocks(r, "server_side_encryption")
	tf.unknown(tf.get(s, "enabled", null))
}

deny contains {"msg": msg, "path": tf.at(path, r, "encryption_type")} if {
	some [path, name, r] in by_type["aws_kinesis_stream"]
	kind := tf.get(r, "encryption_type", "NONE")
	kind != "KMS"
	not tf.unknown(kind)
	msg := sprintf("aws_kinesis_stream.%s is not encrypted at rest (encryption_type is not \"KMS\")", [name])
}

deny contains {"msg": msg, "path": tf.at_block(path, r, "encrypt_at_rest", "enabled")} if {
	some ty in ["aws_opensearch_domain", "aws_elasticsearch_domain"]
	some [path, name, r] in by_type[ty]
	values := [v | some e in tf.blocks(r, "encrypt_at_rest"); v := tf.get(e, "enabled", null)]
	not any_true(values)
	not any_unknown(values)
	not tf.unknown(tf.get(r, "encrypt_at_rest", null))
	msg := sprintf("%s.%s is not encrypted at rest (encrypt_at_rest)", [ty, name])
}

any_true(values) if {
	some v in values
	tf.true_value(v)
}

any_unknown(values) if {
	some v in values
	tf.unknown(v)
}

# EC2: instances and launch configurations.
device_types := ["aws_instance", "aws_launch_configuration"]

deny contains {"msg": msg, "path": path} if {
	not ebs_encryption_by_default
	some ty in device_types
	some [path, name, r] in by_type[ty]
	tf.get(r, "root_block_device", null) == null
	msg := sprintf("%s.%s has no root_block_device with encrypted = true (its root volume is unencrypted)", [ty, name])
}

deny contains {"msg": msg, "path": p} if {
	not ebs_encryption_by_default
	some ty in device_types
	some [path, name, r] in by_type[ty]
	some block in ["root_block_device", "ebs_block_device"]
	some [i, d] in tf.blocks_at(r, block)
	tf.known_not_true(tf.get(d, "encrypted", false))
	not tf.set(tf.get(d, "snapshot_id", null))
	p := tf.at(array.concat(array.concat(path, [block]), i), d, "encrypted")
	msg := sprintf("%s.%s has an unencrypted %s", [ty, name, block])
}

deny contains {"msg": msg, "path": p} if {
	not ebs_encryption_by_default
	some [path, name, r] in by_type["aws_launch_template"]
	some [i, d] in tf.blocks_at(r, "block_device_mappings")
	some [j, e] in tf.blocks_at(d, "ebs")
	tf.known_not_true(tf.get(e, "encrypted", false))
	not tf.set(tf.get(e, "snapshot_id", null))
	base := array.concat(array.concat(array.concat(array.concat(path, ["block_device_mappings"]), i), ["ebs"]), j)
	p := tf.at(base, e, "encrypted")
	msg := sprintf("aws_launch_template.%s maps an unencrypted EBS volume (%s)", [name, tf.str(tf.get(d, "device_name", "?"))])
}

# Snapshots of stores declared unencrypted in the same document.
snapshot_sources := {
	"aws_ebs_snapshot": ["volume_id", "aws_ebs_volume"],
	"aws_db_snapshot": ["db_instance_identifier", "aws_db_instance"],
	"aws_db_cluster_snapshot": ["db_cluster_identifier", "aws_rds_cluster"],
	"aws_neptune_cluster_snapshot": ["db_cluster_identifier", "aws_neptune_cluster"],
	"aws_docdb_cluster_snapshot": ["db_cluster_identifier", "aws_docdb_cluster"],
}

unencrypted_names contains [ty, name] if {
	some [ty, name, _, _] in unencrypted
}

deny contains {"msg": msg, "path": array.concat(path, [attr])} if {
	some snap_ty, [attr, source_ty] in snapshot_sources
	some [path, name, s] in by_type[snap_ty]
	source := tf.referenced(source_ty, tf.get(s, attr, null))
	[source_ty, source] in unencrypted_names
	msg := sprintf("%s.%s is a snapshot of the unencrypted %s.%s", [snap_ty, name, source_ty, source])
}

# Azure storage is encrypted by default; the control is that it is not switched to allow
# unencrypted transport.
deny contains {"msg": msg, "path": tf.at(path, r, attr)} if {
	some [path, name, r] in by_type["azurerm_storage_account"]
	some attr in ["https_traffic_only_enabled", "enable_https_traffic_only"]
	tf.false_value(tf.get(r, attr, null))
	msg := sprintf("azurerm_storage_account.%s allows unencrypted transport (%s = false)", [name, attr])
}

deny contains {"msg": msg, "path": tf.at(path, r, "transparent_data_encryption_enabled")} if {
	some [path, name, r] in by_type["azurerm_mssql_database"]
	tf.false_value(tf.get(r, "transparent_data_encryption_enabled", null))
	msg := sprintf("azurerm_mssql_database.%s has transparent data encryption off", [name])
}

deny contains {"msg": msg, "path": path} if {
	tf.true_value(object.get(data, "require_gcs_cmek", false))
	some [path, name, r] in by_type["google_storage_bucket"]
	not gcs_cmek(r)
	msg := sprintf("google_storage_bucket.%s is not encrypted with a customer-managed key (require_gcs_cmek)", [name])
}

gcs_cmek(r) if {
	some e in tf.blocks(r, "encryption")
	tf.set(tf.get(e, "default_kms_key_name", null))
}
