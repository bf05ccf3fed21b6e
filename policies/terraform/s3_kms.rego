# TF003: an S3 bucket is encrypted, but not with a customer-managed KMS key (SSE-S3 `AES256`, or
# `aws:kms` without a key or with the AWS-managed `aws/s3` key). Data and logs should use a key
# whose policy and rotation you control. Buckets with no encryption declared at all are TF002's;
# an algorithm that is an unresolved expression is not judged.
package custos.terraform.s3_kms

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.s3.kms_algorithms
import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF003",
	"title": "S3 bucket not encrypted with a customer-managed KMS key",
	"description": "An S3 bucket encrypted with SSE-S3 (`AES256`) or the AWS-managed `aws/s3` key instead of a customer-managed KMS key. Only a customer-managed key lets you decide and audit who may decrypt the data, rotate or disable the key, and separate the duties of storage and key administrators.",
	"severity": "medium",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "NIST-800-53:SC-12"],
	"remediation": "Set sse_algorithm = \"aws:kms\" with kms_master_key_id = a customer-managed aws_kms_key (with rotation enabled).",
}

# The attribute that is wrong: the algorithm when it is not KMS, else the (missing) key.
wrong(d) := "sse_algorithm" if not tf.get(d, "sse_algorithm", null) in kms_algorithms

wrong(d) := "kms_master_key_id" if tf.get(d, "sse_algorithm", null) in kms_algorithms

deny contains {"msg": msg, "path": tf.at(array.concat(path, p), d, wrong(d))} if {
	some [path, name, b] in buckets
	s3.has_sse(b)
	not s3.customer_managed_kms(b)
	not s3.sse_unknown(b)
	[p, d] := s3.sse_defaults_at(b)[0]
	msg := sprintf("%s is encrypted without a customer-managed KMS key", [s3.label(name, b)])
}
