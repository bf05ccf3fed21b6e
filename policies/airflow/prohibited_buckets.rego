# AF003: a task, hook or string in a DAG names a prohibited (or unapproved) bucket: any keyword
# argument named for a bucket (`bucket`, `bucket_name`, `s3_bucket`, `dest_bucket_name`,
# `gcs_bucket`, `Bucket`, …; not `bucket_key`/`…_prefix`/`…_arn`, which hold keys, prefixes and
# ARNs) of an operator, sensor, transfer, hook, hook method or project DAG factory (a factory's
# argument also when the factory passes it on as one), and s3:// / s3a:// URIs in any string
# (connection ids in the URI's userinfo are skipped).
# Scale: bucket names are collected from all values in one pass per block of calls and
# judged once each; single values are looked at only in blocks that hold a bad one.
package custos.airflow.prohibited_buckets

import data.custos.airflow.calls.blocks
import data.custos.airflow.calls.class_of
import data.custos.airflow.calls.names
import data.custos.lib.buckets
import data.custos.lib.buckets.configured
import rego.v1

metadata := {
	"id": "AF003",
	"title": "Airflow task uses a prohibited or unapproved bucket",
	"description": "An Airflow task that reads or writes a bucket on `prohibited_buckets` (or not on `approved_buckets`) in custos.toml `[data]`: bucket-carrying arguments of the Amazon provider's operators, sensors, transfers and hooks (`bucket_name`, `bucket`, `s3_bucket`, `dest_bucket_name`, …) and `s3://`/`s3a://` URIs. Data sent to an unapproved bucket leaves the controls (residency, access, retention) the approved ones enforce.",
	"severity": "high",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:CC6.7", "ISO27001:A.5.14", "GDPR:Art.44"],
	"remediation": "Point the task at an approved bucket (approved_buckets / prohibited_buckets in custos.toml [data]).",
}

bucket_arg := `(?i)bucket(_?names?|s)?$`

bucket_names := {k | some k in names; regex.match(bucket_arg, k)}

# The bucket names a keyword value gives: a name, or a list of names (URIs and templates are
# not names; URIs are read below).
named(v) := {trim_space(v)} if is_string(v)

named(v) := {trim_space(x) | some x in v; is_string(x)} if is_array(v)

plain(name) if {
	name != ""
	not contains(name, "://")
	not contains(name, "{{")
}

deny contains {"msg": msg, "path": ["calls", i, "kwargs", k]} if {
	configured
	some k in bucket_names
	some i, c in input.calls
	v := c.kwargs[k]
	some name in named(v)
	plain(name)
	reason := buckets.not_allowed(name)
	msg := sprintf("%s(%s=…): %s", [class_of(c), k, reason])
}

# A factory argument the factory passes on as a bucket: `make_dag(target="…")` where `target`
# becomes `S3Hook.load_file(bucket_name=target)`.
deny contains {"msg": msg, "path": ["calls", i, "kwargs", k]} if {
	configured
	some i in input.index.factories
	c := input.calls[i]
	some k, targets in c.flows
	not regex.match(bucket_arg, k)
	passed := [t | some t in targets; regex.match(bucket_arg, t)]
	count(passed) > 0
	some name in named(c.kwargs[k])
	plain(name)
	reason := buckets.not_allowed(name)
	msg := sprintf("%s(%s=…), passed on as `%s`: %s", [class_of(c), k, passed[0], reason])
}

# Buckets in URIs, first per block of calls (serialised: bucket names need no escaping).
deny contains {"msg": msg, "path": full} if {
	configured
	some [o, part] in blocks
	bad := {name | some name in buckets.uri_buckets(json.marshal(part)); buckets.not_allowed(name)}
	count(bad) > 0
	some j, c in part
	walk(c.kwargs, [p, v])
	is_string(v)
	some name in buckets.uri_buckets(v)
	name in bad
	reason := buckets.not_allowed(name)
	full := array.concat(["calls", o + j, "kwargs"], p)
	msg := sprintf("%s(…): %s", [class_of(c), reason])
}

# A match cannot span the newline between two strings.
free_strings := concat("\n", [s.value | some s in input.strings; is_string(s.value)])

deny contains {"msg": reason, "path": ["strings", i]} if {
	configured
	bad := {name | some name in buckets.uri_buckets(free_strings); buckets.not_allowed(name)}
	count(bad) > 0
	some i, s in input.strings
	is_string(s.value)
	some name in buckets.uri_buckets(s.value)
	name in bad
	reason := buckets.not_allowed(name)
}
