package custos.airflow.top_level_lookups_test

import data.custos.airflow.top_level_lookups as af004
import rego.v1

test_top_level_only if {
	r := af004.warn with input as parse_config("python", `
from airflow.models import Variable
from airflow.hooks.base import BaseHook
A = Variable.get("a")
def task_fn():
    return Variable.get("b"), BaseHook.get_connection("c")
`)
	count(r) == 1
}

test_unrelated_get_is_not_a_lookup if {
	r := af004.warn with input as parse_config("python", `
from airflow import DAG
import requests
CONFIG = {"a": 1}.get("a")
R = requests.get("https://example.com")
`)
	count(r) == 0
}
