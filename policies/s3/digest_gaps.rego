# S3L003: hourly CloudTrail digest files missing under an audit-log prefix.
package custos.s3.digest_gaps

import rego.v1

metadata := {
	"id": "S3L003",
	"title": "Gap in hourly CloudTrail digest files",
	"description": "CloudTrail writes a digest file every hour for each trail and region. Under an audit-log prefix (`[s3] audit_logs`), two consecutive current digest files more than 90 minutes apart, or a last digest more than 2.5 hours before the end of the audit window (an hour plus delivery delay), mean digests (and so the proof that the logs of those hours are complete) are missing — deleted, or logging was stopped.",
	"severity": "high",
	"kinds": ["s3-audit-log"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-9"],
	"remediation": "Check the trail's status and event history for StopLogging/DeleteTrail, look for delete markers on the missing digest keys, and run `custos chain verify --cloudtrail` over the prefix to validate the digests that remain.",
}

deny contains {"msg": msg, "path": ["digest_gaps", i]} if {
	is_object(input)
	gaps := object.get(input, "digest_gaps", [])
	is_array(gaps)
	some i, g in gaps
	is_object(g)
	msg := sprintf("s3://%v/%v: about %v hourly digest(s) of %v missing after %v%v", [
		object.get(input, "bucket", "?"), object.get(input, "prefix", ""), object.get(g, "missing_hours", "?"),
		object.get(g, "stream", "?"), object.get(g, "after", "?"), until(g),
	])
}

until(g) := sprintf(" until %v", [g.before]) if is_string(g.before) else := " (none since)"
