# S3B008: server access logging off (GetBucketLogging): requests to the bucket leave no record.
package custos.s3.access_logging

import rego.v1

metadata := {
	"id": "S3B008",
	"title": "S3 bucket without server access logging",
	"description": "The bucket's GetBucketLogging answer has no LoggingEnabled target: reads, writes and deletes of its objects are not recorded in S3 server access logs (CloudTrail data events are the other way to record them), so an investigation cannot tell who touched which object.",
	"severity": "low",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-2"],
	"remediation": "Enable server access logging to a separate log bucket (put-bucket-logging with TargetBucket and TargetPrefix), or record S3 data events with CloudTrail.",
}

deny contains {"msg": msg, "path": ["logging", "status"]} if {
	is_object(input)
	l := object.get(input, "logging", {})
	is_object(l)
	object.get(l, "status", "") == "disabled"
	msg := sprintf("s3://%v has no server access logging (%v: no LoggingEnabled)", [object.get(input, "bucket", "?"), object.get(l, "call", "GetBucketLogging")])
}
