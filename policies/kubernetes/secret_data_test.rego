package custos.kubernetes.secret_data_test

import data.custos.kubernetes.secret_data as sec025
import rego.v1

paths(r) := {f.path | some f in r}

test_credential_values_are_decoded_and_flagged_per_key if {
	r := sec025.deny with input as parse_config("yaml", `
apiVersion: v1
kind: Secret
metadata: {name: db}
data:
  username: ZXRs
  password: aHVudGVyMi1wcm9k
  host: ZGIuaW50ZXJuYWw6NTQzMg==
  empty: ""
`)
	paths(r) == {["data", "password"]}
}

test_string_data if {
	r := sec025.deny with input as {"kind": "Secret", "metadata": {"name": "api"}, "stringData": {"token": "s3cr3t", "todo": "<fill-me>"}}
	paths(r) == {["stringData", "token"]}
}

# Only a value that looks like a credential is a finding; the message names the key, never the value.
test_non_credential_data_passes if {
	r := sec025.deny with input as parse_config("yaml", `
apiVersion: v1
kind: Secret
metadata: {name: app-config}
stringData:
  username: airflow
  host: postgres.internal:5432
  port: "5432"
  database: airflow
  DB_PASSWORD: ${DB_PASSWORD}
  redis-password: XXXXXXXXXXXXXXXXXXXXXXX
  value: Set this before deploying!
  endpoint: https://api.example.com/v1
  tls.crt: "-----BEGIN CERTIFICATE-----"
`)
	count(r) == 0
}

test_credential_shapes_under_neutral_keys if {
	r := sec025.deny with input as {
		"kind": "Secret",
		"metadata": {"name": "mixed"},
		"stringData": {
			"value": "Fq7Lm2Zw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=",
			"github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
			"host": "postgres://app:Sup3rS3cret@db:5432/app",
			".dockerconfigjson": "{\"auths\":{\"ghcr.io\":{\"auth\":\"dXNlcjpwYXNzd29yZDEyMw==\"}}}",
			"wandb": "wandb-literal-key",
			"hostname": "db-7c1e9a0b3d5f42e8a6c4.internal",
		},
	}
	paths(r) == {["stringData", "value"], ["stringData", "github"], ["stringData", "host"], ["stringData", ".dockerconfigjson"]}
	every f in r {
		not contains(f.msg, "Fq7Lm2Zw")
		not contains(f.msg, "Sup3rS3cret")
	}
}

test_value_keys if {
	r := sec025.deny with input as {"kind": "Secret", "data": {"key": "bXlwYXNzd29yZA=="}, "stringData": {
		"value": "Set this before deploying!",
		"tls.key": "x1y2z3",
		"secret": "${SECRET}",
	}}
	paths(r) == {["data", "key"], ["stringData", "tls.key"]}
}

test_random_tokens_under_neutral_keys if {
	r := sec025.deny with input as {"kind": "Secret", "stringData": {
		"ceph-admin": "AQBSgbNVJJ8TBxAAh1yTzU6sMVeVh4ZMkp5ZxQ==",
		"signing": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
		"hostname": "worker-7c1e9a0b3d5f42e8.internal",
		"release": "feature-store-2024-06-01-build-17",
		"lowercase": "abcdefghijklmnopqrstuvwxyz0123",
	}}
	paths(r) == {["stringData", "ceph-admin"], ["stringData", "signing"]}
}

test_secrets_in_a_list if {
	r := sec025.deny with input as {"kind": "List", "items": [
		{"kind": "ConfigMap", "data": {"password": "aHVudGVy"}},
		{"kind": "Secret", "data": {"api_token": "dGstODFjOWUyZjA0ZDdh"}},
		"odd",
	]}
	paths(r) == {["items", 1, "data", "api_token"]}
}

test_placeholders_and_other_kinds_pass if {
	r := sec025.deny with input as {"kind": "Secret", "data": {"a": "", "password": "JHtQQVNTV09SRH0="}}
	count(r) == 0
	r2 := sec025.deny with input as {"kind": "ConfigMap", "data": {"password": "aHVudGVy"}}
	count(r2) == 0
}

test_invalid_base64_is_not_an_error if {
	r := sec025.deny with input as {"kind": "Secret", "data": {"x": "not base64!!", "password": "${DB_PASSWORD}"}}
	count(r) == 0
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, [], {}, [null], {"k": null}, {"k": 5}, {"k": ["a"]}]
	every s in shapes {
		r := sec025.deny with input as {"kind": "Secret", "metadata": s, "data": s, "stringData": {"password": "hunter2-prod"}}
		count(r) == 1
	}
	every s in shapes {
		r := sec025.deny with input as {"kind": "List", "items": s}
		count(r) == 0
	}
}
