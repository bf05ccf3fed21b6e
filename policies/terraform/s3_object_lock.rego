# TF007: a bucket that holds audit logs (named or tagged as such, or listed in config
# `audit_buckets`) without S3 Object Lock: the logs can be deleted or overwritten.
package custos.terraform.s3_object_lock

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF007",
	"title": "Audit-log bucket without Object Lock (WORM)",
	"description": "A bucket that holds audit logs — named or tagged as such, or listed in `data.audit_buckets` — without S3 Object Lock. Audit logs are evidence only if they cannot be changed: without write-once retention, anyone with write access can delete or rewrite them.",
	"severity": "medium",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-9", "SEC-17a-4"],
	"remediation": "Create the bucket with object_lock_enabled = true and add an aws_s3_bucket_object_lock_configuration with a default retention (COMPLIANCE mode for regulated logs).",
}

locked(b) if b.object_lock_enabled in {true, "true"}

locked(b) if tf.unknown(b.object_lock_enabled)

locked(b) if {
	some c in tf.blocks(b, "object_lock_configuration")
	c.object_lock_enabled == "Enabled"
}

locked(b) if {
	some c in tf.blocks(b, "object_lock_configuration")
	c.rule != null
}

deny contains {"msg": msg, "path": path} if {
	some [path, name, b] in buckets
	s3.holds_audit_logs(b)
	not locked(b)
	msg := sprintf("%s holds audit logs but has no Object Lock", [s3.label(name, b)])
}
