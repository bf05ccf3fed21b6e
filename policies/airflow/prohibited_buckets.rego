# AF003: a task, hook or string in a DAG names a prohibited (or unapproved) bucket: the
# bucket-carrying arguments of the Amazon provider's operators, sensors, transfers and hooks
# (`bucket_name`, `bucket`, `dest_bucket`, `source_bucket_name`, `s3_bucket`, …), and
# s3:// / s3a:// URIs in any string (connection ids in the URI's userinfo are skipped).
package custos.airflow.prohibited_buckets

import data.custos.lib.buckets
import rego.v1

metadata := {
	"id": "AF003",
	"title": "Airflow task uses a prohibited or unapproved bucket",
	"severity": "high",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:CC6.7", "ISO27001:A.5.14", "GDPR:Art.44"],
	"remediation": "Point the task at an approved bucket (approved_buckets / prohibited_buckets in custos.toml [data]).",
}

bucket_arg := `(?i)^(s3_)?(source_|src_|dest_|destination_|target_)?bucket(_name)?$`

deny contains {"msg": msg, "path": ["calls", i, "kwargs", k]} if {
	buckets.configured
	some i, c in input.calls
	some k, v in c.kwargs
	regex.match(bucket_arg, k)
	is_string(v)
	not contains(v, "://")
	not contains(v, "{{")
	reason := buckets.not_allowed(trim_space(v))
	msg := sprintf("%s(%s=…): %s", [c.class, k, reason])
}

deny contains {"msg": msg, "path": full} if {
	buckets.configured
	some i, c in input.calls
	walk(c.kwargs, [p, v])
	is_string(v)
	some name in buckets.uri_buckets(v)
	reason := buckets.not_allowed(name)
	full := array.concat(["calls", i, "kwargs"], p)
	msg := sprintf("%s(…): %s", [c.class, reason])
}

deny contains {"msg": reason, "path": ["strings", i]} if {
	buckets.configured
	some i, s in input.strings
	not s.in_call
	is_string(s.value)
	some name in buckets.uri_buckets(s.value)
	reason := buckets.not_allowed(name)
}
