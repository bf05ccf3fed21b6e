# S3B007: no bucket policy statement denies requests that do not use TLS.
package custos.s3.tls_only

import rego.v1

metadata := {
	"id": "S3B007",
	"title": "S3 bucket does not require TLS",
	"description": "The bucket policy (GetBucketPolicy) has no statement that denies every action to every principal when `aws:SecureTransport` is false, or the bucket has no policy at all: clients may read and write objects over plain HTTP.",
	"severity": "medium",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC6.7", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-8"],
	"remediation": "Add a statement {\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": [bucket ARN, bucket ARN/*], \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}} to the bucket policy.",
}

deny contains {"msg": msg, "path": ["policy", "status"]} if {
	is_object(input)
	p := object.get(input, "policy", {})
	is_object(p)
	status := object.get(p, "status", "")
	status in {"present", "none"}
	object.get(p, "tls_only", false) != true
	msg := sprintf("s3://%v does not deny requests without TLS (%v: %v)", [
		object.get(input, "bucket", "?"), object.get(p, "call", "GetBucketPolicy"), what(status),
	])
}

what(status) := "no bucket policy" if status == "none"

what(status) := "no Deny statement on aws:SecureTransport = false" if status == "present"
