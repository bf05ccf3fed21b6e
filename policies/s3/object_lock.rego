# S3B004: a bucket that holds audit logs without write-once retention: Object Lock off, no
# default retention, or GOVERNANCE mode (which privileged principals can bypass).
package custos.s3.object_lock

import data.custos.lib.s3 as s3lib
import data.custos.lib.s3.audit_words
import rego.v1

metadata := {
	"id": "S3B004",
	"title": "S3 audit-log bucket without Object Lock (WORM) retention",
	"description": "A bucket that holds audit logs (listed in `[s3] audit_logs`, in `data.audit_buckets`, or named like an audit or CloudTrail bucket) whose GetObjectLockConfiguration shows no Object Lock, no default retention, or GOVERNANCE mode. Audit logs are evidence only if they cannot be changed: without COMPLIANCE-mode default retention someone with write access (or, in GOVERNANCE mode, the bypass permission) can delete or overwrite them.",
	"severity": "high",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-9", "SEC-17a-4"],
	"remediation": "Create the bucket with Object Lock enabled and set a default retention in COMPLIANCE mode (put-object-lock-configuration with Mode COMPLIANCE and Days or Years) that covers your retention obligation.",
}

# Functions of the document, not rules over `input`: each evaluation reads its own input.
audit_bucket(doc) if object.get(doc, "audit_log", false) == true

audit_bucket(doc) if {
	b := object.get(doc, "bucket", "")
	is_string(b)
	regex.match(audit_words, b)
}

audit_bucket(doc) if {
	b := object.get(doc, "bucket", "")
	is_string(b)
	listed := object.get(data, "audit_buckets", [])
	is_array(listed)
	b in listed
}

lock_of(doc) := l if {
	l := object.get(doc, "object_lock", {})
	is_object(l)
} else := {}

problem(lock) := "Object Lock is not enabled" if object.get(lock, "status", "") == "none"

problem(lock) := "Object Lock has no default retention" if {
	object.get(lock, "status", "") == "enabled"
	object.get(lock, "mode", null) == null
}

problem(lock) := sprintf("Object Lock is in GOVERNANCE mode (%v), which principals with s3:BypassGovernanceRetention can override", [retention(lock)]) if {
	object.get(lock, "status", "") == "enabled"
	object.get(lock, "mode", null) == "GOVERNANCE"
}

retention(lock) := sprintf("%v days", [lock.days]) if is_number(lock.days) else := sprintf("%v years", [lock.years]) if is_number(lock.years) else := "no period"

deny contains {"msg": msg, "path": ["object_lock", "status"]} if {
	is_object(input)
	audit_bucket(input)
	lock := lock_of(input)
	msg := sprintf("s3://%v holds audit logs but %s (%v)", [object.get(input, "bucket", "?"), problem(lock), object.get(lock, "call", "GetObjectLockConfiguration")])
}
