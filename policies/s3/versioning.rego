# S3B003: versioning not enabled (GetBucketVersioning): an overwritten or deleted object is gone,
# and deletions in the bucket cannot be detected afterwards.
package custos.s3.versioning

import rego.v1

metadata := {
	"id": "S3B003",
	"title": "S3 bucket without versioning",
	"description": "The bucket's versioning status (GetBucketVersioning) is not Enabled (never enabled, or Suspended). Without versions an overwritten or deleted object cannot be recovered, and custos cannot show which objects were deleted or overwritten in an audit window. For audit-log buckets the finding also says whether MFA delete is on.",
	"severity": "medium",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:A1.2", "ISO27001:A.8.13", "NIST-800-53:CP-9"],
	"remediation": "Enable versioning (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled); for audit-log buckets also consider MFA delete or Object Lock.",
}

deny contains {"msg": msg, "path": ["versioning", "status"]} if {
	is_object(input)
	v := object.get(input, "versioning", {})
	is_object(v)
	status := object.get(v, "status", "")
	is_string(status)
	status in {"Off", "Suspended"}
	msg := sprintf("s3://%v has versioning %v (%v, MFA delete %v): overwritten or deleted objects cannot be recovered or detected", [
		object.get(input, "bucket", "?"), lower(status), object.get(v, "call", "GetBucketVersioning"), object.get(v, "mfa_delete", "unknown"),
	])
}
