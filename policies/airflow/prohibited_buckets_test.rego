package custos.airflow.prohibited_buckets_test

import data.custos.airflow.prohibited_buckets as af003
import rego.v1

src := `
from airflow import DAG
from airflow.providers.amazon.aws.operators.s3 import S3CreateObjectOperator
B = "public-dump"
with DAG("d") as d:
    S3CreateObjectOperator(task_id="t", s3_bucket=B, s3_key="k", data="x")
    S3CreateObjectOperator(task_id="u", s3_bucket="acme-ok", s3_key="s3://public-other/k", data="x")
path = "s3a://public-third/x"
`

test_bucket_args_uris_and_constants if {
	r := af003.deny with input as parse_config("python", src) with data.prohibited_buckets as ["public-*"]
	count(r) == 3
}

test_nothing_configured_nothing_found if {
	r := af003.deny with input as parse_config("python", src)
	count(r) == 0
}

test_approved_list if {
	r := af003.deny with input as parse_config("python", src) with data.approved_buckets as ["acme-*", "public-*"]
	count(r) == 0
}
