# TF006: an S3 bucket without server access logging. A bucket that receives other buckets'
# access logs is not required to log itself (that would loop); the module context marks such
# buckets `custos_log_target` when the logging configuration is in another file. Log targets
# in the document are indexed once (linear in the number of buckets).
package custos.terraform.s3_logging

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF006",
	"title": "S3 bucket without access logging",
	"description": "An S3 bucket without server access logging (buckets that receive access logs are exempt). Without access logs nobody can tell who read or changed the data, which is the evidence an incident investigation and an audit need.",
	"severity": "low",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-2"],
	"remediation": "Add an aws_s3_bucket_logging resource (or logging { target_bucket = … } on provider v3) pointing at a log bucket.",
}

log_targets contains t if {
	some [_, _, b] in buckets
	some l in tf.blocks(b, "logging")
	t := s3.target(object.get(l, "target_bucket", null))
}

log_targets contains t if {
	some [_, _, l] in tf.resources("aws_s3_bucket_logging")
	t := s3.target(object.get(l, "target_bucket", null))
}

logs(b) if count(tf.blocks(b, "logging")) > 0

logs(b) if tf.unknown(b.logging)

receives_logs(_, b) if b.custos_log_target == true

receives_logs(name, b) if {
	count(log_targets) > 0
	s3.named_in(name, b, log_targets)
}

deny contains {"msg": msg, "path": path} if {
	some [path, name, b] in buckets
	not logs(b)
	not receives_logs(name, b)
	msg := sprintf("%s has no access logging", [s3.label(name, b)])
}
