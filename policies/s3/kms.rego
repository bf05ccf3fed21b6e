# S3B002: default encryption that is SSE-S3 (AES256) or the AWS-managed key, not a
# customer-managed KMS key whose policy, rotation and audit trail you control.
package custos.s3.kms

import rego.v1

metadata := {
	"id": "S3B002",
	"title": "S3 bucket not encrypted with a customer-managed KMS key",
	"description": "The bucket's default encryption (GetBucketEncryption) is SSE-S3 (AES256) or SSE-KMS with the AWS-managed key `aws/s3` or no key named. Keys managed by S3 or by AWS cannot be scoped by your key policy, rotated on your schedule, or revoked, and their use is not separately logged for you.",
	"severity": "medium",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "NIST-800-53:SC-12", "NIST-800-53:SC-28"],
	"remediation": "Use SSE-KMS with a customer-managed key: put-bucket-encryption with SSEAlgorithm aws:kms and KMSMasterKeyID set to your key's ARN (and BucketKeyEnabled to cut KMS costs).",
}

kms_algorithms := {"aws:kms", "aws:kms:dsse"}

aws_managed(k) if regex.match(`(^|:)alias/aws/s3$`, k)

customer_key(e) if {
	object.get(e, "algorithm", "") in kms_algorithms
	k := object.get(e, "kms_key", null)
	is_string(k)
	k != ""
	not aws_managed(k)
}

deny contains {"msg": msg, "path": ["encryption", "algorithm"]} if {
	is_object(input)
	e := object.get(input, "encryption", {})
	is_object(e)
	object.get(e, "status", "") == "enabled"
	not customer_key(e)
	msg := sprintf("s3://%v is encrypted with %v%v, not a customer-managed KMS key (%v)", [
		object.get(input, "bucket", "?"), object.get(e, "algorithm", "?"), key_text(e), object.get(e, "call", "GetBucketEncryption"),
	])
}

key_text(e) := sprintf(" key %v", [e.kms_key]) if {
	is_string(e.kms_key)
	e.kms_key != ""
} else := ""
