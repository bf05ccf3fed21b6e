package custos.s3.audit_log_test

import data.custos.s3.audit_deletions as s3l001
import data.custos.s3.audit_overwrites as s3l002
import data.custos.s3.digest_gaps as s3l003
import rego.v1

clean := {
	"bucket": "acme-trail",
	"prefix": "AWSLogs/",
	"versioning": "Enabled",
	"window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
	"versions_listed": 48,
	"truncated": false,
	"deleted_count": 0,
	"overwritten_count": 0,
	"delete_markers": [],
	"overwritten": [],
	"digest_gaps": [],
}

test_clean_prefix_passes if {
	count(s3l001.deny) == 0 with input as clean
	count(s3l002.deny) == 0 with input as clean
	count(s3l003.deny) == 0 with input as clean
}

test_deletions_name_key_version_and_time if {
	doc := object.union(clean, {"deleted_count": 1, "delete_markers": [{"key": "AWSLogs/1/CloudTrail/a.json.gz", "version_id": "v9", "deleted_at": "2026-01-01T05:00:00Z", "is_latest": true}]})
	r := s3l001.deny with input as doc
	count(r) == 1
	some f in r
	f.msg == "s3://acme-trail/AWSLogs/1/CloudTrail/a.json.gz was deleted at 2026-01-01T05:00:00Z (delete marker version v9)"
	f.path == ["delete_markers", 0]
	# More deletions than listed are counted, never lost.
	more := object.union(doc, {"deleted_count": 1500})
	count(s3l001.deny) == 2 with input as more
}

test_overwrites if {
	doc := object.union(clean, {"overwritten_count": 1, "overwritten": [{"key": "AWSLogs/x", "version_id": "v1", "etag": "abc", "written_at": "2026-01-01T01:00:00Z", "replaced_at": "2026-01-01T02:00:00Z", "replaced_by": "v2"}]})
	some f in s3l002.deny with input as doc
	contains(f.msg, "s3://acme-trail/AWSLogs/x was overwritten at 2026-01-01T02:00:00Z (version v1, ETag abc")
}

test_digest_gaps if {
	doc := object.union(clean, {"digest_gaps": [
		{"stream": "1/eu-west-1_main_eu-west-1", "after": "2026-01-01T01:00:00Z", "before": "2026-01-01T04:00:00Z", "missing_hours": 2},
		{"stream": "1/eu-west-1_main_eu-west-1", "after": "2026-01-01T20:00:00Z", "before": null, "missing_hours": 4},
	]})
	r := s3l003.deny with input as doc
	count(r) == 2
	some f in r
	endswith(f.msg, "until 2026-01-01T04:00:00Z")
	some g in r
	endswith(g.msg, "(none since)")
}

test_total_over_odd_shapes if {
	odd := {"delete_markers": "x", "overwritten": [1, null], "digest_gaps": {"a": 1}, "deleted_count": "3"}
	count(s3l001.deny) == 0 with input as odd
	count(s3l002.deny) == 0 with input as odd
	count(s3l003.deny) == 0 with input as odd
}
