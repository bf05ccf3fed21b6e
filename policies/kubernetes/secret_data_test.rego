package custos.kubernetes.secret_data_test

import data.custos.kubernetes.secret_data as sec025
import rego.v1

test_data_values_are_decoded_and_flagged if {
	r := sec025.deny with input as parse_config("yaml", `
apiVersion: v1
kind: Secret
metadata: {name: db}
data:
  username: ZXRs
  password: aHVudGVyMi1wcm9k
  empty: ""
`)
	count(r) == 2
	{f.path | some f in r} == {["data", "username"], ["data", "password"]}
}

test_string_data if {
	r := sec025.deny with input as {"kind": "Secret", "metadata": {"name": "api"}, "stringData": {"token": "s3cr3t", "todo": "<fill-me>"}}
	count(r) == 1
}

test_placeholders_and_other_kinds_pass if {
	r := sec025.deny with input as {"kind": "Secret", "data": {"a": "", "b": "JHtQQVNTV09SRH0="}}
	count(r) == 0
	r2 := sec025.deny with input as {"kind": "ConfigMap", "data": {"password": "aHVudGVy"}}
	count(r2) == 0
}

test_invalid_base64_is_not_an_error if {
	r := sec025.deny with input as {"kind": "Secret", "data": {"x": "not base64!!"}}
	count(r) == 0
}
