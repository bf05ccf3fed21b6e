from datetime import datetime
from airflow import DAG
from airflow.operators.bash import BashOperator

default_args = {"owner": "data", "retries": 2}

with DAG("etl", start_date=datetime(2026, 1, 1), schedule="@daily", default_args=default_args) as dag:
    a = BashOperator(task_id="extract", bash_command="echo a")
    b = BashOperator(task_id="load", bash_command=f"echo {dag.dag_id}")
    a >> b
