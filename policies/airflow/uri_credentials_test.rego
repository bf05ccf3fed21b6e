package custos.airflow.uri_credentials_test

import data.custos.airflow.uri_credentials as af002
import rego.v1

test_uri_in_constant_and_env if {
	r := af002.deny with input as parse_config("python", `
import os
from airflow import DAG
URI = "postgresql://etl:Secr3t-Pw@db:5432/x"
os.environ["AIRFLOW_CONN_X"] = "redis://:R3dis-Pw@cache:6379/0"
`)
	count(r) == 2
}

test_conn_id_userinfo_and_templates_pass if {
	r := af002.deny with input as parse_config("python", `
from airflow import DAG
A = "s3://aws_default@acme-raw/x"
B = "postgresql://{{ conn.pg.login }}:{{ conn.pg.password }}@db/x"
C = "postgresql://user:password@localhost/db"
`)
	count(r) == 0
}

test_uri_in_a_call_in_a_later_block if {
	tasks := concat("\n", [sprintf(`    BashOperator(task_id="t%d", bash_command="echo %d")`, [i, i]) | some i in numbers.range(1, 300)])
	r := af002.deny with input as parse_config("python", concat("\n", [
		`from airflow import DAG`,
		`from airflow.operators.bash import BashOperator`,
		`with DAG("d") as d:`,
		tasks,
		`    BashOperator(task_id="x", bash_command="run", env={"DB": "postgresql://etl:Late-Uri-Pw@db/x"})`,
	]))
	{f.path | some f in r} == {["calls", 301, "kwargs", "env", "DB"]}
}
