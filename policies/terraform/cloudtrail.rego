# TF008: a CloudTrail trail without log file validation (digest files), without KMS encryption,
# or not multi-region. Each is a separate finding with its own message.
package custos.terraform.cloudtrail

import rego.v1

metadata := {
	"id": "TF008",
	"title": "CloudTrail trail not tamper-evident, encrypted and multi-region",
	"severity": "high",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "CIS-AWS:3.2", "CIS-AWS:3.5", "NIST-800-53:AU-9"],
	"remediation": "Set enable_log_file_validation = true, kms_key_id = a customer-managed key, and is_multi_region_trail = true.",
}

trails contains [name, t] if {
	some name, t in input.resource.aws_cloudtrail
	is_object(t)
}

deny contains {"msg": sprintf("aws_cloudtrail.%s has log file validation off (no digest files to prove logs were not altered)", [name]), "path": ["resource", "aws_cloudtrail", name]} if {
	some [name, t] in trails
	object.get(t, "enable_log_file_validation", false) != true
}

deny contains {"msg": sprintf("aws_cloudtrail.%s is not encrypted with a KMS key", [name]), "path": ["resource", "aws_cloudtrail", name]} if {
	some [name, t] in trails
	not t.kms_key_id
}

deny contains {"msg": sprintf("aws_cloudtrail.%s is not multi-region", [name]), "path": ["resource", "aws_cloudtrail", name]} if {
	some [name, t] in trails
	object.get(t, "is_multi_region_trail", false) != true
}
