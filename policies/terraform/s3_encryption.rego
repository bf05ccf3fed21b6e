# TF002: an S3 bucket with no server-side encryption declared.
# Declared means either the inline `server_side_encryption_configuration` block (AWS provider
# v3 style) or an `aws_s3_bucket_server_side_encryption_configuration` resource whose `bucket`
# refers to this bucket (v4+ style): by reference — also indexed (`this[0]`), splat, or through
# a conditional/`try` — or by the same literal bucket name. The module context merges such
# resources from the whole module; within a document they are also matched here, through an
# index of the buckets they name (linear in the number of resources).
package custos.terraform.s3_encryption

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF002",
	"title": "S3 bucket without server-side encryption",
	"description": "An `aws_s3_bucket` without server-side encryption: no inline `server_side_encryption_configuration` (provider v3) and no `aws_s3_bucket_server_side_encryption_configuration` for it anywhere in the module, also when that names the bucket through `this[0]`, a splat, a conditional or `try`. Encryption at rest is a baseline control of SOC 2, ISO 27001 and GDPR, and declaring it keeps the choice of key and the evidence in code rather than in an account default.",
	"severity": "high",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28"],
	"remediation": "Add an aws_s3_bucket_server_side_encryption_configuration resource for the bucket (sse_algorithm \"aws:kms\" with a customer-managed key for data and logs), or the inline server_side_encryption_configuration block on provider v3.",
}

inline_sse(b) if count(tf.blocks(b, "server_side_encryption_configuration")) > 0

inline_sse(b) if tf.unknown(b.server_side_encryption_configuration)

# Every bucket an encryption configuration in this document names.
sse_targets contains t if {
	some [_, _, cfg] in tf.resources("aws_s3_bucket_server_side_encryption_configuration")
	t := s3.target(tf.get(cfg, "bucket", null))
}

sibling_sse(name, b) if {
	count(sse_targets) > 0
	s3.named_in(name, b, sse_targets)
}

deny contains {"msg": msg, "path": path} if {
	some [path, name, b] in buckets
	not inline_sse(b)
	not sibling_sse(name, b)
	msg := sprintf("aws_s3_bucket.%s declares no server-side encryption", [name])
}
