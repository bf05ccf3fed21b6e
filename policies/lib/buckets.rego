# Shared bucket checks: is a bucket name allowed under config data
# `prohibited_buckets` / `approved_buckets` (glob patterns; `*` does not cross `.`, `**` does)?
package custos.lib.buckets

import rego.v1

# Only string patterns count: a malformed list in config data never makes rules error.
prohibited_patterns := [p | some p in data.prohibited_buckets; is_string(p)] if {
	is_array(data.prohibited_buckets)
} else := []

approved_patterns := [p | some p in data.approved_buckets; is_string(p)] if {
	is_array(data.approved_buckets)
} else := []

# True when either list is set, so rules can skip walking documents otherwise.
configured if count(prohibited_patterns) > 0

configured if count(approved_patterns) > 0

approved(name) if {
	some p in approved_patterns
	glob.match(p, [], name)
}

# The reason `name` is not allowed; undefined when it is allowed.
not_allowed(name) := msg if {
	hits := [p | some p in prohibited_patterns; glob.match(p, [], name)]
	count(hits) > 0
	msg := sprintf("bucket %q matches prohibited pattern %q", [name, hits[0]])
} else := msg if {
	count(approved_patterns) > 0
	not approved(name)
	msg := sprintf("bucket %q is not on the approved list", [name])
}

# Bucket names in s3://, s3a://, s3n:// URIs inside a string (userinfo, e.g. a connection id,
# skipped), and in S3 ARNs (`arn:aws:s3:::bucket/*` in IAM and bucket policies).
uri_buckets(s) := {m[1] |
	is_string(s)
	some m in regex.find_all_string_submatch_n(`(?:s3[an]?://(?:[^@/\s"']+@)?|arn:aws[a-z\-]*:s3:::)([a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9])`, s, -1)
}
