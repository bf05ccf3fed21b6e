# S3L002: audit-log objects overwritten (a new version replaced them) inside the audit window.
package custos.s3.audit_overwrites

import rego.v1

metadata := {
	"id": "S3L002",
	"title": "Audit-log object overwritten in the audit window",
	"description": "ListObjectVersions under an audit-log prefix (`[s3] audit_logs`) shows a version that was replaced by a newer one inside the audit window: an audit log was rewritten after it was first written. Each finding names the key, the replaced version id, its ETag and when it was written and replaced.",
	"severity": "high",
	"kinds": ["s3-audit-log"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-9"],
	"remediation": "Compare the versions (the earlier one is the original), find who wrote the new one, and protect the prefix with Object Lock in COMPLIANCE mode so logs cannot be rewritten.",
}

deny contains {"msg": msg, "path": ["overwritten", i]} if {
	is_object(input)
	versions := object.get(input, "overwritten", [])
	is_array(versions)
	some i, v in versions
	is_object(v)
	msg := sprintf("s3://%v/%v was overwritten at %v (version %v, ETag %v, written %v, replaced by %v)", [
		object.get(input, "bucket", "?"), object.get(v, "key", "?"), object.get(v, "replaced_at", "?"), object.get(v, "version_id", "?"),
		object.get(v, "etag", "?"), object.get(v, "written_at", "?"), object.get(v, "replaced_by", "?"),
	])
}

deny contains {"msg": msg, "path": ["overwritten_count"]} if {
	is_object(input)
	versions := object.get(input, "overwritten", [])
	n := object.get(input, "overwritten_count", 0)
	is_array(versions)
	is_number(n)
	n > count(versions)
	msg := sprintf("s3://%v/%v: %v more overwritten objects in the window are not listed", [
		object.get(input, "bucket", "?"), object.get(input, "prefix", ""), n - count(versions),
	])
}
