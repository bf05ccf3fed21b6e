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

# Any keyword named for a bucket, on any call; not keys, prefixes or ARNs.
test_bucket_named_arguments if {
	r := af003.deny with input as parse_config("python", `
from airflow import DAG
from airflow.providers.amazon.aws.transfers.gcs_to_s3 import GCSToS3Operator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
GCSToS3Operator(task_id="a", gcs_bucket="public-gcs", dest_bucket="acme-ok")
GCSToS3Operator(task_id="b", source_bucket_names=["acme-ok", "public-list"])
S3KeySensor(task_id="c", bucket_name="acme-ok", bucket_key="public-key", source_bucket_prefix="public-prefix")
GCSToS3Operator(task_id="d", table_bucket_arn="public-arn", bucket_namespace="public-ns")
`) with data.prohibited_buckets as ["public-*"]
	{f.path | some f in r} == {["calls", 0, "kwargs", "gcs_bucket"], ["calls", 1, "kwargs", "source_bucket_names"]}
}

test_factory_argument_passed_on_as_a_bucket if {
	r := af003.deny with input as parse_config("python", `
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
def upload(path, destination):
    hook = S3Hook(aws_conn_id="aws_default")
    hook.load_file(filename=path, key=path, bucket_name=destination)
upload("/tmp/a", "public-x")
upload("/tmp/b", destination="acme-ok")
upload("/tmp/c", destination="{{ var.value.bucket }}")
`) with data.prohibited_buckets as ["public-*"]
	count(r) == 1
	some f in r
	f.path == ["calls", 2, "kwargs", "destination"]
	contains(f.msg, "passed on as `bucket_name`")
}

test_uris_in_later_blocks if {
	tasks := concat("\n", [sprintf(`S3CreateObjectOperator(task_id="t%d", s3_bucket="acme-ok", s3_key="k", data="x")`, [i]) | some i in numbers.range(1, 300)])
	r := af003.deny with input as parse_config("python", concat("\n", [
		`from airflow.providers.amazon.aws.operators.s3 import S3CreateObjectOperator`,
		tasks,
		`S3CreateObjectOperator(task_id="u", s3_bucket="acme-ok", s3_key="s3://public-late/k", data="x")`,
	])) with data.prohibited_buckets as ["public-*"]
	{f.path | some f in r} == {["calls", 300, "kwargs", "s3_key"]}
}
