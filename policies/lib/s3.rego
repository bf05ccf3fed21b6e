# Shared views of S3 buckets after the module context merged provider-v4 sibling resources into
# them (see src/terraform.rs): every control reads one shape for both provider styles. Every
# helper is total over the shapes described in lib/terraform.rego.
package custos.lib.s3

import data.custos.lib.terraform as tf
import rego.v1

# [path, name, body] of every aws_s3_bucket in the document.
buckets := tf.resources("aws_s3_bucket")

sse_defaults(b) := [d |
	some c in tf.blocks(b, "server_side_encryption_configuration")
	some r in tf.blocks(c, "rule")
	some d in tf.blocks(r, "apply_server_side_encryption_by_default")
]

# [path below the bucket, default] of each encryption default, for findings that point at it.
sse_defaults_at(b) := [[p, d] |
	some [i, c] in tf.blocks_at(b, "server_side_encryption_configuration")
	some [j, r] in tf.blocks_at(c, "rule")
	some [k, d] in tf.blocks_at(r, "apply_server_side_encryption_by_default")
	p := array.concat(array.concat(array.concat(array.concat(array.concat(["server_side_encryption_configuration"], i), ["rule"]), j), ["apply_server_side_encryption_by_default"]), k)
]

kms_algorithms := {"aws:kms", "aws:kms:dsse"}

# The AWS-managed key (`alias/aws/s3`) is not one whose policy and rotation you control.
aws_managed_key(k) if regex.match(`(^|:)alias/aws/s3$`, k)

customer_managed_kms(b) if {
	some d in sse_defaults(b)
	tf.get(d, "sse_algorithm", null) in kms_algorithms
	key := tf.get(d, "kms_master_key_id", null)
	tf.set(key)
	not aws_managed_key(key)
}

# The algorithm is an expression the module context could not resolve.
sse_unknown(b) if {
	some d in sse_defaults(b)
	tf.unknown(tf.get(d, "sse_algorithm", null))
}

has_sse(b) if count(sse_defaults(b)) > 0

label(name, _) := sprintf("aws_s3_bucket.%s", [name])

# How a `bucket` / `target_bucket` value names a bucket: "resource:<name>" for a reference to
# an aws_s3_bucket (indexed, splat or conditional), "name:<bucket>" for a literal name.
target(v) := sprintf("resource:%s", [tf.referenced("aws_s3_bucket", v)])

target(v) := sprintf("name:%s", [v]) if {
	tf.set(v)
	not tf.unknown(v)
}

# The keys a bucket is known by, in the form of `target`.
keys(name, b) := array.concat([sprintf("resource:%s", [name])], [sprintf("name:%s", [n]) |
	n := tf.get(b, "bucket", null)
	tf.set(n)
	not tf.unknown(n)
])

# Words in a bucket's name or tags that mark it as holding audit trails. (S3 server access-log
# buckets are not included: access logging cannot deliver into a bucket with default retention.)
audit_words := `(?i)(audit|cloudtrail|trail-logs|log-archive)`

holds_audit_logs(b) if {
	is_string(b.bucket)
	regex.match(audit_words, b.bucket)
}

holds_audit_logs(b) if {
	is_object(b.tags)
	some v in b.tags
	is_string(v)
	regex.match(audit_words, v)
}

holds_audit_logs(b) if {
	tf.set(b.bucket)
	b.bucket in tf.list(object.get(data, "audit_buckets", []))
}

# The bucket is named in `targets` (a set built with `target`), by reference or by name.
named_in(name, _, targets) if sprintf("resource:%s", [name]) in targets

named_in(_, b, targets) if {
	is_string(b.bucket)
	not contains(b.bucket, "${")
	sprintf("name:%s", [b.bucket]) in targets
}
