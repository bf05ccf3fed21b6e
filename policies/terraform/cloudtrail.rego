# TF008: a CloudTrail trail without log file validation (digest files), without KMS encryption,
# or not multi-region. Each is a separate finding with its own message, at the attribute when
# it is written. Unresolved expressions are not judged.
package custos.terraform.cloudtrail

import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF008",
	"title": "CloudTrail trail not tamper-evident, encrypted and multi-region",
	"description": "An `aws_cloudtrail` trail without log file validation, without KMS encryption or not multi-region, one finding for each. Validation makes the trail's log files tamper-evident, a customer-managed key protects what they record, and a single-region trail misses activity in every other region.",
	"severity": "high",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "CIS-AWS:3.2", "CIS-AWS:3.5", "NIST-800-53:AU-9"],
	"remediation": "Set enable_log_file_validation = true, kms_key_id = a customer-managed key, and is_multi_region_trail = true.",
}

trails := tf.resources("aws_cloudtrail")

deny contains {"msg": msg, "path": tf.at(path, t, "enable_log_file_validation")} if {
	some [path, name, t] in trails
	tf.known_not_true(tf.get(t, "enable_log_file_validation", false))
	msg := sprintf("aws_cloudtrail.%s has log file validation off (no digest files to prove logs were not altered)", [name])
}

deny contains {"msg": msg, "path": tf.at(path, t, "kms_key_id")} if {
	some [path, name, t] in trails
	not tf.set(tf.get(t, "kms_key_id", null))
	msg := sprintf("aws_cloudtrail.%s is not encrypted with a KMS key", [name])
}

deny contains {"msg": msg, "path": tf.at(path, t, "is_multi_region_trail")} if {
	some [path, name, t] in trails
	tf.known_not_true(tf.get(t, "is_multi_region_trail", false))
	msg := sprintf("aws_cloudtrail.%s is not multi-region", [name])
}
