# S3L001: audit-log objects deleted (delete markers) inside the audit window.
package custos.s3.audit_deletions

import rego.v1

metadata := {
	"id": "S3L001",
	"title": "Audit-log object deleted in the audit window",
	"description": "ListObjectVersions under an audit-log prefix (`[s3] audit_logs`) shows a delete marker written inside the audit window: an audit log was deleted. Each finding names the key, the version id of the delete marker and when it was written; on a versioned bucket the deleted content is still there as a non-current version.",
	"severity": "high",
	"kinds": ["s3-audit-log"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-9"],
	"remediation": "Find who deleted the object (CloudTrail data events or server access logs), restore it by deleting the delete marker, and protect the prefix with Object Lock in COMPLIANCE mode so it cannot happen again.",
}

deny contains {"msg": msg, "path": ["delete_markers", i]} if {
	is_object(input)
	markers := object.get(input, "delete_markers", [])
	is_array(markers)
	some i, m in markers
	is_object(m)
	msg := sprintf("s3://%v/%v was deleted at %v (delete marker version %v)", [
		object.get(input, "bucket", "?"), object.get(m, "key", "?"), object.get(m, "deleted_at", "?"), object.get(m, "version_id", "?"),
	])
}

deny contains {"msg": msg, "path": ["deleted_count"]} if {
	is_object(input)
	markers := object.get(input, "delete_markers", [])
	n := object.get(input, "deleted_count", 0)
	is_array(markers)
	is_number(n)
	n > count(markers)
	msg := sprintf("s3://%v/%v: %v more deleted objects in the window are not listed", [
		object.get(input, "bucket", "?"), object.get(input, "prefix", ""), n - count(markers),
	])
}
