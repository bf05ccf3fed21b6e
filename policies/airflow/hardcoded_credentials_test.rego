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

# A function of the file that passes a parameter on to an operator is a factory: its callers'
# literal arguments are checked under the parameter's name and under the name it is passed as.
test_factory_arguments if {
	r := af001.deny with input as dag(`
from airflow.providers.postgres.operators.postgres import PostgresOperator
def sql_task(task_id, pw=None, password=None):
    return PostgresOperator(task_id=task_id, password=pw or password)
sql_task("a", "Flowed-Pw-1")
sql_task("b", password="Named-Pw-2")
sql_task("c", pw="{{ conn.pg.password }}")
sql_task("d", pw=Variable.get("pw"))
`)
	count(r) == 2
	some f in r
	f.path == ["calls", 1, "kwargs", "pw"]
	contains(f.msg, "passes on as `password`")
}

test_constant_passed_as_a_credential_is_reported_at_the_constant if {
	r := af001.deny with input as dag(`
PG = "Const-Pw-3"
NAME = "etl"
Connection(conn_id="c", login=NAME, password=PG)
Connection(conn_id="d", login=NAME, password=PG)
`)
	count(r) == 1
	some f in r
	f.path == ["constants", "PG"]
}

test_decorator_arguments if {
	r := af001.deny with input as dag(`
from airflow.decorators import dag, task
@dag(default_args={"db_password": "Deco-Pw-4"})
def pipeline():
    @task.kubernetes(env_vars={"API_TOKEN": "{{ var.value.token }}"})
    def run():
        pass
`)
	count(r) == 1
	some f in r
	f.path == ["dags", 0, "kwargs", "default_args", "db_password"]
}

# More calls than one block (256): the planted secrets are found in later blocks too.
test_many_calls if {
	tasks := concat("\n", [sprintf(`    BashOperator(task_id="t%d", bash_command="echo %d")`, [i, i]) | some i in numbers.range(1, 600)])
	r := af001.deny with input as dag(concat("\n", [
		`with DAG("d") as d:`,
		tasks,
		`    BashOperator(task_id="x", bash_command="run", env={"DB_PASSWORD": "Late-Pw-5"})`,
		`    BashOperator(task_id="y", bash_command="DB_PASSWORD=Late-Pw-6 ./run.sh")`,
	]))
	count(r) == 2
	{f.path | some f in r} == {["calls", 601, "kwargs", "env", "DB_PASSWORD"], ["calls", 602, "kwargs", "bash_command"]}
}

test_idempotency_paging_and_version_tokens_are_not_credentials if {
	r := af001.deny with input as dag(`
from airflow.providers.amazon.aws.operators.athena import AthenaOperator
AthenaOperator(task_id="q", query="select 1", client_request_token="eac427d0-1c6d-4dfb-96aa-2835d3ac6595")
import boto3
s3 = boto3.client("s3")
s3.list_objects_v2(Bucket="b", ContinuationToken="1ueGcxLPRx1Tr", ClientToken="c-123", SessionToken="Real-Session-Token-2")
AthenaOperator(task_id="r", query="select 2", session_token="Fwo-Real-Session-Token-1")
`)
	{f.path[3] | some f in r} == {"SessionToken", "session_token"}
}

# A connection id under a generic `credentials` name, a constant that names a mode, and a value
# repeating its key are not credentials; a real value under the same names is.
test_names_ids_and_repeated_keys_are_not_credentials if {
	r := af001.deny with input as dag(`
CREDENTIALS = "aws_conn"
LOGIN_MODE_TOKEN = "login-token"
SLACK_TOKEN = "slack_token"
API_TOKEN = "Ap7Tk2Xw9Kt3Rp6Vb1Hs"
`)
	{f.path[1] | some f in r} == {"API_TOKEN"}
}
