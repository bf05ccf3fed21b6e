package custos.airflow.config_secrets_backend_test

import data.custos.airflow.config_secrets_backend as afc001
import rego.v1

test_missing_backend if {
	count(afc001.deny) == 1 with input as {"core": {"executor": "CeleryExecutor"}}
	count(afc001.deny) == 1 with input as {"core": {"executor": "CeleryExecutor"}, "secrets": {"backend": ""}}
}

test_backend_set_or_not_airflow if {
	count(afc001.deny) == 0 with input as {"core": {"executor": "x"}, "secrets": {"backend": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"}}
	count(afc001.deny) == 0 with input as {"metadata": {"name": "setup.cfg"}}
}
