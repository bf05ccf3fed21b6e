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
