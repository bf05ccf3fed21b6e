# S3B000: a posture call the server refused or does not implement (access denied, HTTP 501)
# leaves that control unverified. The other s3-bucket rules do not fire on unknown evidence, so
# this rule reports it: unknown is never read as compliant.
package custos.s3.evidence_unknown

import rego.v1

metadata := {
	"id": "S3B000",
	"title": "S3 bucket posture evidence could not be read",
	"description": "custos reads a bucket's posture with one S3 call per control (GetBucketEncryption, GetBucketVersioning, GetObjectLockConfiguration, GetPublicAccessBlock, GetBucketPolicy, GetBucketLogging). When a call is refused (access denied) or the server does not implement it (HTTP 501 on some S3-compatible stores), that control is unknown: the rules that read it cannot pass or fail it, and this warning names the bucket, the call and the reason so the control is checked by hand.",
	"severity": "medium",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC4.1", "ISO27001:A.5.36", "NIST-800-53:CA-7"],
	"remediation": "Grant the auditing principal the read permission the call needs (s3:GetEncryptionConfiguration, s3:GetBucketVersioning, s3:GetBucketObjectLockConfiguration, s3:GetBucketPublicAccessBlock, s3:GetBucketPolicy, s3:GetBucketLogging), or verify the control on the storage system by other means and record the evidence.",
}

sections := ["encryption", "versioning", "object_lock", "public_access_block", "policy", "logging"]

warn contains {"msg": msg, "path": [section, "status"]} if {
	is_object(input)
	some section in sections
	s := object.get(input, section, {})
	is_object(s)
	object.get(s, "status", "") == "unknown"
	msg := sprintf("s3://%v: %s is unknown: %v failed (%v); the control is unverified", [
		object.get(input, "bucket", "?"), section, object.get(s, "call", "the call"), object.get(s, "error", "no reason given"),
	])
}
