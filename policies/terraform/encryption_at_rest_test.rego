package custos.terraform.encryption_at_rest_test

import data.custos.terraform.encryption_at_rest as tf009
import rego.v1

res(ty, body) := {"resource": {ty: {"x": body}}}

test_unencrypted_stores_are_found if {
	count(tf009.deny) == 1 with input as res("aws_db_instance", {"engine": "postgres"})
	count(tf009.deny) == 1 with input as res("aws_ebs_volume", {"size": 10})
	count(tf009.deny) == 1 with input as res("aws_sqs_queue", {"name": "q", "sqs_managed_sse_enabled": false})
	count(tf009.deny) == 1 with input as res("aws_sns_topic", {"name": "t"})
	count(tf009.deny) == 1 with input as res("aws_dynamodb_table", {"name": "t"})
	count(tf009.deny) == 1 with input as res("aws_sagemaker_notebook_instance", {"name": "nb"})
	count(tf009.deny) == 1 with input as res("aws_opensearch_domain", {"encrypt_at_rest": {"enabled": false}})
	count(tf009.deny) == 1 with input as res("aws_launch_template", {"block_device_mappings": [{"ebs": {"encrypted": true}}, {"ebs": {"encrypted": false}}]})
	count(tf009.deny) == 1 with input as res("azurerm_storage_account", {"https_traffic_only_enabled": false})
}

test_encrypted_stores_pass if {
	count(tf009.deny) == 0 with input as res("aws_db_instance", {"storage_encrypted": true})
	count(tf009.deny) == 0 with input as res("aws_db_instance", {"replicate_source_db": "${aws_db_instance.main.identifier}"})
	count(tf009.deny) == 0 with input as res("aws_sqs_queue", {"kms_master_key_id": "alias/aws/sqs"})
	count(tf009.deny) == 0 with input as res("aws_dynamodb_table", {"server_side_encryption": {"enabled": true, "kms_key_arn": "${aws_kms_key.t.arn}"}})
	count(tf009.deny) == 0 with input as res("aws_launch_template", {"block_device_mappings": [{"ebs": {"encrypted": true}}]})
	count(tf009.deny) == 0 with input as res("azurerm_storage_account", {"name": "acme"})
}

test_gcs_cmek_only_when_required if {
	count(tf009.deny) == 0 with input as res("google_storage_bucket", {"name": "b"})
	count(tf009.deny) == 1 with input as res("google_storage_bucket", {"name": "b"}) with data.require_gcs_cmek as true
	count(tf009.deny) == 0 with input as res("google_storage_bucket", {"name": "b", "encryption": {"default_kms_key_name": "k"}}) with data.require_gcs_cmek as true
}

test_new_stores if {
	count(tf009.deny) == 1 with input as res("aws_neptune_cluster", {"engine": "neptune"})
	count(tf009.deny) == 1 with input as res("aws_docdb_cluster", {"storage_encrypted": false})
	count(tf009.deny) == 1 with input as res("aws_elasticache_replication_group", {"at_rest_encryption_enabled": "false"})
	count(tf009.deny) == 1 with input as res("aws_kinesis_stream", {"shard_count": 1})
	count(tf009.deny) == 1 with input as res("aws_ebs_snapshot_copy", {"source_snapshot_id": "snap-1"})
	count(tf009.deny) == 0 with input as res("aws_kinesis_stream", {"encryption_type": "KMS"})
	count(tf009.deny) == 0 with input as res("aws_neptune_cluster", {"storage_encrypted": true})
}

test_findings_point_at_the_attribute_when_written if {
	r := tf009.deny with input as res("aws_rds_cluster", {"storage_encrypted": false})
	{f.path | some f in r} == {["resource", "aws_rds_cluster", "x", "storage_encrypted"]}
	m := tf009.deny with input as res("aws_rds_cluster", {"engine": "aurora"})
	{f.path | some f in m} == {["resource", "aws_rds_cluster", "x"]}
}

test_unresolved_values_are_not_judged if {
	count(tf009.deny) == 0 with input as res("aws_db_instance", {"storage_encrypted": "${var.encrypted}"})
	count(tf009.deny) == 0 with input as res("aws_sqs_queue", {"sqs_managed_sse_enabled": "${var.sse}"})
	# SSE-SQS is the default for new queues.
	count(tf009.deny) == 0 with input as res("aws_sqs_queue", {"name": "q"})
	count(tf009.deny) == 0 with input as res("aws_opensearch_domain", {"encrypt_at_rest": {"enabled": "${each.value.enc}"}})
	count(tf009.deny) == 0 with input as res("aws_dynamodb_table", {"server_side_encryption": "${var.sse}"})
	# A key that is an expression is a reference to a key.
	count(tf009.deny) == 0 with input as res("aws_sns_topic", {"kms_master_key_id": "${try(aws_kms_key.t[0].arn, null)}"})
}

test_ec2_block_devices if {
	# No root block device: the AMI's unencrypted default.
	count(tf009.deny) == 1 with input as res("aws_instance", {"ami": "ami-1"})
	r := tf009.deny with input as res("aws_instance", {
		"root_block_device": {"encrypted": true},
		"ebs_block_device": [{"device_name": "/dev/sdf"}, {"device_name": "/dev/sdg", "encrypted": true}, {"snapshot_id": "snap-1"}],
	})
	{f.path | some f in r} == {["resource", "aws_instance", "x", "ebs_block_device", 0]}
	count(tf009.deny) == 1 with input as res("aws_launch_configuration", {"root_block_device": {"encrypted": "false"}})
	count(tf009.deny) == 0 with input as res("aws_launch_template", {"block_device_mappings": {"ebs": {"encrypted": "true"}}})
}

test_ebs_encryption_by_default_covers_volumes_and_instances if {
	inp := {"resource": {
		"aws_ebs_encryption_by_default": {"on": {"enabled": true}},
		"aws_instance": {"vm": {"ami": "ami-1"}},
		"aws_ebs_volume": {"v": {"size": 1}},
	}}
	count(tf009.deny) == 0 with input as inp
}

test_snapshots_of_unencrypted_sources if {
	inp := {"resource": {
		"aws_ebs_volume": {"plain": {"size": 1}, "safe": {"size": 1, "encrypted": true}},
		"aws_ebs_snapshot": {"a": {"volume_id": "${aws_ebs_volume.plain.id}"}, "b": {"volume_id": "${aws_ebs_volume.safe.id}"}},
		"aws_neptune_cluster": {"g": {"storage_encrypted": false}},
		"aws_neptune_cluster_snapshot": {"s": {"db_cluster_identifier": "${aws_neptune_cluster.g.id}"}},
	}}
	r := tf009.deny with input as inp
	{f.path | some f in r} == {
		["resource", "aws_ebs_volume", "plain"],
		["resource", "aws_ebs_snapshot", "a", "volume_id"],
		["resource", "aws_neptune_cluster", "g", "storage_encrypted"],
		["resource", "aws_neptune_cluster_snapshot", "s", "db_cluster_identifier"],
	}
}

test_restores_and_serverless_are_exempt if {
	count(tf009.deny) == 0 with input as res("aws_rds_cluster", {"snapshot_identifier": "arn:aws:rds:eu-west-1:1:cluster-snapshot:s"})
	count(tf009.deny) == 0 with input as res("aws_rds_cluster", {"engine_mode": "serverless"})
}
