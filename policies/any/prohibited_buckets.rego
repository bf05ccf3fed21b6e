# BKT001: data must not go to a prohibited (or unapproved) bucket. (Airflow DAGs have AF003.)
# Looks at every value whose key names a bucket (`bucket`, `bucket_name`, `s3_bucket`,
# `dest_bucket`, `BucketName`, …) and at every s3:// URI in any string, in every structured
# document. Terraform references (`${aws_s3_bucket.x.id}`) and templates are not literals and
# are skipped here.
package custos.any.prohibited_buckets

import data.custos.lib.buckets
import data.custos.lib.buckets.configured
import rego.v1

metadata := {
	"id": "BKT001",
	"title": "Prohibited or unapproved bucket",
	"description": "A bucket on `prohibited_buckets` (or, when `approved_buckets` is set, a bucket not on it) in custos.toml `[data]`, in bucket-named keys, `s3://`/`s3a://` URIs and S3 ARNs in any string of Terraform, CloudFormation, Kubernetes, CI, compose and other configuration files. Writing to a public, shared or unapproved bucket moves data outside the controls (residency, access, retention) your approved buckets enforce.",
	"severity": "high",
	"kinds": ["terraform", "cloudformation", "kubernetes", "helm-template", "github-actions", "gitlab-ci", "docker-compose", "yaml", "json", "ini"],
	"controls": ["SOC2:CC6.7", "ISO27001:A.5.14", "GDPR:Art.44"],
	"remediation": "Write to an approved bucket (see approved_buckets / prohibited_buckets in custos.toml [data]), or get the bucket approved.",
}

bucket_key := `(?i)^(s3_?)?(source_|src_|dest_|destination_|target_|output_|input_)?bucket(_?name)?$`

deny contains {"msg": msg, "path": path} if {
	configured
	walk(input, [path, value])
	is_string(value)
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	regex.match(bucket_key, key)
	name := trim_space(value)
	name != ""
	not contains(name, "${")
	not contains(name, "{{")
	not contains(name, "://")
	reason := buckets.not_allowed(name)
	msg := sprintf("%s (set in `%s`)", [reason, key])
}

deny contains {"msg": msg, "path": path} if {
	configured
	walk(input, [path, value])
	is_string(value)
	uri_like(value)
	some name in buckets.uri_buckets(value)
	reason := buckets.not_allowed(name)
	msg := sprintf("%s (in an s3 URI or ARN)", [reason])
}

uri_like(v) if contains(v, "://")

uri_like(v) if contains(v, ":s3:::")
