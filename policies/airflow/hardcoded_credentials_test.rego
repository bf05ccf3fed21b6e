package custos.airflow.hardcoded_credentials_test

import data.custos.airflow.hardcoded_credentials as af001
import rego.v1

dag(body) := parse_config("python", concat("\n", [
	"from airflow import DAG",
	"from airflow.models import Connection",
	"from airflow.operators.bash import BashOperator",
	"from airflow.providers.amazon.aws.hooks.s3 import S3Hook as H",
	body,
]))

test_operator_and_connection_kwargs if {
	r := af001.deny with input as dag(`
with DAG("d") as d:
    BashOperator(task_id="t", bash_command="x", env={"DB_PASSWORD": "pw-literal-1"})
    Connection(conn_id="c", login="u", password="pw-literal-2")
`)
	count(r) == 2
}

test_aliased_hook_resolves_and_is_checked if {
	r := af001.deny with input as dag(`H(aws_conn_id="aws_default", aws_secret_access_key="Kq3rJ9xT0mZ8vLw2Yp5N")`)
	count(r) == 1
	some f in r
	contains(f.msg, "S3Hook")
}

test_constant_default_args_reported_once_at_the_constant if {
	r := af001.deny with input as dag(`
ARGS = {"owner": "x", "api_key": "k-literal-123"}
with DAG("d", default_args=ARGS) as d:
    pass
`)
	count(r) == 1
	some f in r
	f.path == ["constants", "ARGS", "api_key"]
}

test_bash_command_secrets if {
	r := af001.deny with input as dag(`BashOperator(task_id="t", bash_command="AWS_SECRET_ACCESS_KEY=abcd1234efgh aws s3 ls")`)
	count(r) == 1
}

test_templates_conn_ids_and_lookups_pass if {
	r := af001.deny with input as dag(`
import os
from airflow.models import Variable
with DAG("d", default_args={"email": ["a@acme.io"], "owner": "x"}) as d:
    BashOperator(task_id="t", bash_command="PGPASSWORD={{ conn.pg.password }} psql", env={"TOKEN": "{{ var.value.token }}"})
    H(aws_conn_id="aws_default")
    Connection(conn_id="c", password=os.environ.get("PW"))
    Connection(conn_id="c2", password=Variable.get("pw"))
`)
	count(r) == 0
}
