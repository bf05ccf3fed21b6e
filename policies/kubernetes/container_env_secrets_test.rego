package custos.kubernetes.container_env_secrets_test

import data.custos.kubernetes.container_env_secrets as k8s001
import rego.v1

pod(env) := {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}}

test_literal_secret_env if {
	r := k8s001.deny with input as pod([{"name": "DB_PASSWORD", "value": "hunter2-prod"}, {"name": "LOG_LEVEL", "value": "info"}])
	count(r) == 1
}

test_secret_refs_and_templates_pass if {
	r := k8s001.deny with input as pod([
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
		{"name": "API_TOKEN", "value": "${API_TOKEN}"},
	])
	count(r) == 0
}
