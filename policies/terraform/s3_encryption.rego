# TF002: an S3 bucket with no server-side encryption declared.
# Declared means either the inline `server_side_encryption_configuration` block (AWS provider
# v3 style) or an `aws_s3_bucket_server_side_encryption_configuration` resource whose `bucket`
# refers to this bucket (v4+ style), by reference or by the same literal bucket name.
package custos.terraform.s3_encryption

import rego.v1

metadata := {
	"id": "TF002",
	"title": "S3 bucket without server-side encryption",
	"severity": "high",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28"],
	"remediation": "Add an aws_s3_bucket_server_side_encryption_configuration resource for the bucket (sse_algorithm \"aws:kms\" with a customer-managed key for data and logs), or the inline server_side_encryption_configuration block on provider v3.",
}

inline_sse(bucket) if bucket.server_side_encryption_configuration

refers_to(ref, name, _) if startswith(ref, sprintf("${aws_s3_bucket.%s.", [name]))

refers_to(ref, name, _) if startswith(ref, sprintf("${aws_s3_bucket.%s[", [name]))

refers_to(ref, _, bucket) if {
	is_string(bucket.bucket)
	not contains(bucket.bucket, "${")
	ref == bucket.bucket
}

sse_configs contains cfg if {
	some _, cfg in input.resource.aws_s3_bucket_server_side_encryption_configuration
	is_object(cfg)
}

sibling_sse(name, bucket) if {
	some cfg in sse_configs
	refers_to(cfg.bucket, name, bucket)
}

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some name, bucket in input.resource.aws_s3_bucket
	is_object(bucket)
	not inline_sse(bucket)
	not sibling_sse(name, bucket)
	msg := sprintf("aws_s3_bucket.%s declares no server-side encryption", [name])
}
