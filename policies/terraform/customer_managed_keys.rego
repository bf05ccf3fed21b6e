# TF011: data a service encrypts only with a key you do not control, where a customer-managed
# KMS key is the control (the S3 bucket equivalent is TF003):
# - S3 objects (`aws_s3_object`, `aws_s3_bucket_object`) without `kms_key_id` (or with the
#   AWS-managed `alias/aws/s3`), unless their bucket is declared in the same document with a
#   customer-managed default key;
# - ECR repositories without `encryption_configuration { encryption_type = "KMS" }`;
# - EKS clusters without envelope encryption of Kubernetes secrets (`encryption_config` with
#   `resources = ["secrets"]` and a KMS key);
# - MSK clusters without `encryption_info.encryption_at_rest_kms_key_arn`.
# Values that are unresolved expressions are not judged.
package custos.terraform.customer_managed_keys

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import data.custos.lib.terraform.by_type
import rego.v1

metadata := {
	"id": "TF011",
	"title": "Data not encrypted with a customer-managed KMS key",
	"description": "Data encrypted without a customer-managed KMS key: S3 objects (unless their bucket's default key is one), ECR repositories, EKS secrets and MSK at rest. Only a customer-managed key lets you decide and audit who can decrypt the data, and rotate or revoke the key.",
	"severity": "medium",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "NIST-800-53:SC-12", "NIST-800-53:SC-28"],
	"remediation": "Encrypt with a customer-managed aws_kms_key (rotation on): kms_key_id on S3 objects (or a bucket default key), encryption_configuration { encryption_type = \"KMS\", kms_key = … } on ECR, encryption_config { resources = [\"secrets\"], provider { key_arn = … } } on EKS, encryption_info { encryption_at_rest_kms_key_arn = … } on MSK.",
}

# S3 objects.
cmk_buckets contains k if {
	some [_, name, b] in buckets
	s3.customer_managed_kms(b)
	some k in s3.keys(name, b)
}

undetermined_buckets contains k if {
	some [_, name, b] in buckets
	s3.sse_unknown(b)
	some k in s3.keys(name, b)
}

bucket_default_cmk(o) if s3.target(tf.get(o, "bucket", null)) in cmk_buckets

bucket_default_cmk(o) if s3.target(tf.get(o, "bucket", null)) in undetermined_buckets

deny contains {"msg": msg, "path": tf.at(path, o, "kms_key_id")} if {
	some ty in ["aws_s3_object", "aws_s3_bucket_object"]
	some [path, name, o] in by_type[ty]
	not tf.set(tf.get(o, "kms_key_id", null))
	not bucket_default_cmk(o)
	msg := sprintf("%s.%s is not encrypted with a customer-managed KMS key (no kms_key_id, and its bucket has no such default)", [ty, name])
}

deny contains {"msg": msg, "path": array.concat(path, ["kms_key_id"])} if {
	some ty in ["aws_s3_object", "aws_s3_bucket_object"]
	some [path, name, o] in by_type[ty]
	key := tf.get(o, "kms_key_id", null)
	is_string(key)
	s3.aws_managed_key(key)
	msg := sprintf("%s.%s is encrypted with the AWS-managed aws/s3 key, not a customer-managed one", [ty, name])
}

# ECR repositories.
ecr_kms(r) if {
	some e in tf.blocks(r, "encryption_configuration")
	tf.get(e, "encryption_type", null) == "KMS"
}

ecr_unknown(r) if tf.unknown(tf.get(r, "encryption_configuration", null))

ecr_unknown(r) if {
	some e in tf.blocks(r, "encryption_configuration")
	tf.unknown(tf.get(e, "encryption_type", null))
}

deny contains {"msg": msg, "path": tf.at_block(path, r, "encryption_configuration", "encryption_type")} if {
	some [path, name, r] in by_type["aws_ecr_repository"]
	not ecr_kms(r)
	not ecr_unknown(r)
	msg := sprintf("aws_ecr_repository.%s is not encrypted with KMS (encryption_type is not \"KMS\")", [name])
}

# EKS clusters.
eks_secrets(r) if {
	some e in tf.blocks(r, "encryption_config")
	"secrets" in tf.list(tf.get(e, "resources", []))
}

eks_unknown(r) if tf.unknown(tf.get(r, "encryption_config", null))

eks_unknown(r) if {
	some e in tf.blocks(r, "encryption_config")
	res := tf.get(e, "resources", null)
	tf.unknown(res)
}

eks_unknown(r) if {
	some e in tf.blocks(r, "encryption_config")
	some x in tf.list(tf.get(e, "resources", []))
	tf.unknown(x)
}

deny contains {"msg": msg, "path": tf.at_block(path, r, "encryption_config", "resources")} if {
	some [path, name, r] in by_type["aws_eks_cluster"]
	not eks_secrets(r)
	not eks_unknown(r)
	msg := sprintf("aws_eks_cluster.%s does not encrypt Kubernetes secrets with a KMS key (encryption_config for \"secrets\")", [name])
}

# MSK clusters.
msk_cmk(r) if {
	some e in tf.blocks(r, "encryption_info")
	tf.set(tf.get(e, "encryption_at_rest_kms_key_arn", null))
}

deny contains {"msg": msg, "path": tf.at_block(path, r, "encryption_info", "encryption_at_rest_kms_key_arn")} if {
	some [path, name, r] in by_type["aws_msk_cluster"]
	not msk_cmk(r)
	not tf.unknown(tf.get(r, "encryption_info", null))
	msg := sprintf("aws_msk_cluster.%s is encrypted at rest with the AWS-managed key (no encryption_at_rest_kms_key_arn)", [name])
}
