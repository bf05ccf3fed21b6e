package custos.any.prohibited_buckets_test

import data.custos.any.prohibited_buckets
import rego.v1

cfg := {"prohibited_buckets": ["public-*", "**.shared"], "approved_buckets": []}

test_terraform_bucket_attribute if {
	r := prohibited_buckets.deny with input as {"resource": {"aws_s3_bucket": {"b": {"bucket": "public-exports"}}}}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 1
	some f in r
	f.path == ["resource", "aws_s3_bucket", "b", "bucket"]
}

test_uri_in_yaml if {
	r := prohibited_buckets.deny with input as {"steps": [{"args": ["--out", "s3a://public-dump/x/y.parquet"]}]}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 1
}

test_uri_with_connection_id_userinfo if {
	r := prohibited_buckets.deny with input as {"path": "s3://aws_default@public-dump/key"}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 1
}

test_arn_in_a_policy_document if {
	r := prohibited_buckets.deny with input as {"resource": {"aws_iam_policy": {"p": {"policy": "{\"Statement\": [{\"Resource\": \"arn:aws:s3:::public-dump/*\"}]}"}}}}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 1
}

test_double_star_crosses_dots if {
	r := prohibited_buckets.deny with input as {"bucket_name": "team.data.shared"}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 1
}

test_allowed_bucket_passes if {
	r := prohibited_buckets.deny with input as {"bucket": "acme-curated", "uri": "s3://acme-curated/x"}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 0
}

test_reference_is_not_a_literal if {
	r := prohibited_buckets.deny with input as {"resource": {"aws_s3_object": {"o": {"bucket": "${aws_s3_bucket.public.id}"}}}}
		with data.prohibited_buckets as cfg.prohibited_buckets
	count(r) == 0
}

test_unapproved_bucket if {
	r := prohibited_buckets.deny with input as {"BucketName": "random-bucket", "other": "s3://acme-raw/x"}
		with data.approved_buckets as ["acme-*"]
	count(r) == 1
	some f in r
	contains(f.msg, "random-bucket")
}

test_nothing_configured_nothing_found if {
	r := prohibited_buckets.deny with input as {"bucket": "public-exports"}
	count(r) == 0
}

test_malformed_bucket_lists_are_ignored if {
	r := prohibited_buckets.deny with input as {"bucket": "public-exports"}
		with data.prohibited_buckets as "public-*"
	count(r) == 0
	r2 := prohibited_buckets.deny with input as {"bucket": "public-exports"}
		with data.prohibited_buckets as [1, null, "public-*"]
	count(r2) == 1
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, true, [], {}, [null, 1], {"bucket": 5}, {"bucket": ["public-x"]}, {"uri": 7}]
	every s in shapes {
		r := prohibited_buckets.deny with input as {"odd": s, "bucket": "public-exports"}
			with data.prohibited_buckets as cfg.prohibited_buckets
		{f.path | some f in r} == {["bucket"]}
	}
}
