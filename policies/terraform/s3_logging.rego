# TF006: an S3 bucket without server access logging. A bucket that receives other buckets'
# access logs is not required to log itself (that would loop); the module context marks such
# buckets `custos_log_target` when the logging configuration is in another file.
package custos.terraform.s3_logging

import data.custos.lib.s3
import rego.v1

metadata := {
	"id": "TF006",
	"title": "S3 bucket without access logging",
	"severity": "low",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-2"],
	"remediation": "Add an aws_s3_bucket_logging resource (or logging { target_bucket = … } on provider v3) pointing at a log bucket.",
}

log_target(name, b) if {
	some [_, other] in s3.buckets
	some l in s3.as_list(object.get(other, "logging", []))
	l.target_bucket in {b.bucket, sprintf("${aws_s3_bucket.%s.id}", [name]), sprintf("${aws_s3_bucket.%s.bucket}", [name])}
}

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some [name, b] in s3.buckets
	not b.logging
	not b.custos_log_target
	not log_target(name, b)
	msg := sprintf("%s has no access logging", [s3.label(name, b)])
}
