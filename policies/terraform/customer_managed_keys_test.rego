package custos.terraform.customer_managed_keys_test

import data.custos.terraform.customer_managed_keys as tf011
import rego.v1

res(ty, body) := {"resource": {ty: {"x": body}}}

test_s3_objects if {
	count(tf011.deny) == 1 with input as res("aws_s3_object", {"bucket": "acme", "key": "k"})
	count(tf011.deny) == 0 with input as res("aws_s3_object", {"bucket": "acme", "kms_key_id": "${aws_kms_key.k.arn}"})
	count(tf011.deny) == 1 with input as res("aws_s3_bucket_object", {"bucket": "acme", "kms_key_id": "alias/aws/s3"})
}

test_objects_inherit_their_buckets_customer_managed_default if {
	cmk := {"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.k.arn}"}}}
	inp := {"resource": {
		"aws_s3_bucket": {"b": {"bucket": "acme-data", "server_side_encryption_configuration": cmk}},
		"aws_s3_object": {"by_ref": {"bucket": "${aws_s3_bucket.b.id}"}, "by_name": {"bucket": "acme-data"}, "other": {"bucket": "acme-other"}},
	}}
	r := tf011.deny with input as inp
	{f.path | some f in r} == {["resource", "aws_s3_object", "other"]}
}

test_ecr_eks_msk if {
	count(tf011.deny) == 1 with input as res("aws_ecr_repository", {"name": "r"})
	count(tf011.deny) == 1 with input as res("aws_ecr_repository", {"encryption_configuration": {"encryption_type": "AES256"}})
	count(tf011.deny) == 0 with input as res("aws_ecr_repository", {"encryption_configuration": [{"encryption_type": "KMS"}]})
	count(tf011.deny) == 1 with input as res("aws_eks_cluster", {"name": "c"})
	count(tf011.deny) == 1 with input as res("aws_eks_cluster", {"encryption_config": {"resources": ["configmaps"]}})
	count(tf011.deny) == 0 with input as res("aws_eks_cluster", {"encryption_config": {"resources": ["secrets"], "provider": {"key_arn": "k"}}})
	count(tf011.deny) == 0 with input as res("aws_eks_cluster", {"encryption_config": {"resources": "${var.resources}"}})
	count(tf011.deny) == 1 with input as res("aws_msk_cluster", {"cluster_name": "m"})
	count(tf011.deny) == 0 with input as res("aws_msk_cluster", {"encryption_info": {"encryption_at_rest_kms_key_arn": "${var.key}"}})
}

test_paths if {
	r := tf011.deny with input as res("aws_ecr_repository", {"encryption_configuration": {"encryption_type": "AES256"}})
	{f.path | some f in r} == {["resource", "aws_ecr_repository", "x", "encryption_configuration", "encryption_type"]}
}
