# Shared views of S3 buckets after the module context merged provider-v4 sibling resources into
# them (see src/terraform.rs): every control reads one shape for both provider styles.
package custos.lib.s3

import rego.v1

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

as_list(x) := [] if {
	not is_array(x)
	not is_object(x)
}

# [name, body] of every aws_s3_bucket in the document.
buckets contains [name, b] if {
	some name, b in input.resource.aws_s3_bucket
	is_object(b)
}

sse_defaults(b) := [d |
	some c in as_list(object.get(b, "server_side_encryption_configuration", []))
	some r in as_list(object.get(c, "rule", []))
	some d in as_list(object.get(r, "apply_server_side_encryption_by_default", []))
]

kms_algorithms := {"aws:kms", "aws:kms:dsse"}

customer_managed_kms(b) if {
	some d in sse_defaults(b)
	d.sse_algorithm in kms_algorithms
	is_string(d.kms_master_key_id)
	d.kms_master_key_id != ""
}

has_sse(b) if count(sse_defaults(b)) > 0

label(name, b) := sprintf("aws_s3_bucket.%s", [name])

# Words in a bucket's name or tags that mark it as holding audit trails. (S3 server access-log
# buckets are not included: access logging cannot deliver into a bucket with default retention.)
audit_words := `(?i)(audit|cloudtrail|trail-logs|log-archive)`

holds_audit_logs(b) if regex.match(audit_words, object.get(b, "bucket", ""))

holds_audit_logs(b) if {
	some _, v in object.get(b, "tags", {})
	is_string(v)
	regex.match(audit_words, v)
}

holds_audit_logs(b) if b.bucket in object.get(data, "audit_buckets", [])
