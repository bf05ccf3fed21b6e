package custos.kubernetes.container_env_secrets_test

import data.custos.kubernetes.container_env_secrets as k8s001
import rego.v1

pod(env) := {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}}

test_literal_secret_env if {
	r := k8s001.deny with input as pod([{"name": "DB_PASSWORD", "value": "hunter2-prod"}, {"name": "LOG_LEVEL", "value": "info"}])
	{f.path | some f in r} == {["spec", "template", "spec", "containers", 0, "env", 0, "value"]}
}

test_secret_refs_and_templates_pass if {
	r := k8s001.deny with input as pod([
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
		{"name": "API_TOKEN", "value": "${API_TOKEN}"},
		{"name": "OTHER_TOKEN", "value": "$(API_TOKEN)"},
	])
	count(r) == 0
}

# Names and references are not values.
test_names_flags_and_placeholders_pass if {
	r := k8s001.deny with input as pod([
		{"name": "SCORER_API_KEY", "value": "SCORER_API_KEY_VALUE"},
		{"name": "ALLOW_EMPTY_PASSWORD", "value": "yes"},
		{"name": "POSTGRES_PASSWORD_FILE", "value": "/run/secrets/pg"},
		{"name": "DB_PASSWORD_SECRET_NAME", "value": "db-credentials"},
		{"name": "PASSWORD_KEY", "value": "db-password"},
		{"name": "VAULT_TOKEN", "value": "secret/data/app/token"},
		{"name": "SECRET_KEY", "value": "changeme"},
		{"name": "NEXT_PAGE_TOKEN", "value": "abc123"},
		{"name": "DB_PASSWORD", "value": ""},
	])
	count(r) == 0
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, [], {}, [null, "a", 1], {"name": 5, "value": []}, {"name": "DB_PASSWORD", "value": {"x": 1}}]
	every s in shapes {
		r := k8s001.deny with input as pod([s, {"name": "API_TOKEN", "value": "tk-81c9e2f04d7a"}])
		count(r) == 1
	}
	every s in shapes {
		r := k8s001.deny with input as {"spec": {"containers": [{"env": s}]}}
		count(r) == 0
	}
}

# A number is a literal password (YAML `value: 123456`).
test_numeric_password if {
	r := k8s001.deny with input as pod([{"name": "DB_PASSWORD", "value": 123456}])
	count(r) == 1
}
