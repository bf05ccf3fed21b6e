# S3B001: a bucket with no default server-side encryption configuration (read from
# GetBucketEncryption): objects written without encryption headers are stored in the clear.
package custos.s3.default_encryption

import rego.v1

metadata := {
	"id": "S3B001",
	"title": "S3 bucket without default encryption",
	"description": "The bucket's GetBucketEncryption answer has no default server-side encryption rule, so an object uploaded without encryption headers is stored unencrypted (AWS now applies SSE-S3 by default; many S3-compatible stores do not). Read from the live bucket, not from infrastructure code.",
	"severity": "high",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28"],
	"remediation": "Set a default encryption rule on the bucket (aws s3api put-bucket-encryption with SSE-KMS and a customer-managed key, or at least AES256).",
}

deny contains {"msg": msg, "path": ["encryption", "status"]} if {
	is_object(input)
	e := object.get(input, "encryption", {})
	is_object(e)
	object.get(e, "status", "") == "none"
	msg := sprintf("s3://%v has no default encryption (%v: no server-side encryption configuration)", [object.get(input, "bucket", "?"), object.get(e, "call", "GetBucketEncryption")])
}
