# TF005: an S3 bucket without versioning: an overwrite or delete loses the data for good.
package custos.terraform.s3_versioning

import data.custos.lib.s3
import rego.v1

metadata := {
	"id": "TF005",
	"title": "S3 bucket without versioning",
	"severity": "medium",
	"kinds": ["terraform"],
	"controls": ["SOC2:A1.2", "ISO27001:A.8.13", "NIST-800-53:CP-9"],
	"remediation": "Add an aws_s3_bucket_versioning resource with status = \"Enabled\" (or versioning { enabled = true } on provider v3).",
}

enabled(b) if b.versioning.enabled == true

enabled(b) if b.versioning.status == "Enabled"

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some [name, b] in s3.buckets
	not enabled(b)
	msg := sprintf("%s does not have versioning enabled", [s3.label(name, b)])
}
