package custos.config.literal_credentials_test

import data.custos.config.literal_credentials as cfg001
import rego.v1

paths(r) := {f.path | some f in r}

test_literal_password_in_yaml if {
	r := cfg001.deny with input as parse_config("yaml", `
database:
  host: db.internal
  password: hunter2-prod
  port: 5432
`)
	paths(r) == {["database", "password"]}
}

test_camel_case_short_forms_and_numbers if {
	r := cfg001.deny with input as {
		"apiKey": "k-9f8e7d6c5b4a", "clientSecret": "abc123def", "dbPassword": 123456,
		"dbPass": "hunter2x", "FTP_PASS": "password1", "DB_PWD": "s3cr3t!",
		"JWT_SIGNING_KEY": "Fq7Lm2Zw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=",
		"hmacKey": "4f2a9c1e7b3d5a8f",
	}
	count(r) == 8
}

test_weak_passwords_still_found if {
	r := cfg001.deny with input as {
		"POSTGRES_PASSWORD": "postgres", "admin": {"password": "admin"},
		"secret_access_key": "dvc-literal-secret-key", "HF_TOKEN": "hf-literal-token-value",
	}
	count(r) == 4
}

test_templates_and_references_pass if {
	r := cfg001.deny with input as {
		"password": "${DB_PASSWORD}",
		"token": "${{ secrets.GITHUB_TOKEN }}",
		"api_key": "{{ var.value.api_key }}",
		"secret": "$SECRET",
		"access_key": "((concourse-var))",
		"private_key": "vault:secret/data/app#key",
		"client_secret": "arn:aws:secretsmanager:us-east-1:123:secret:x",
		"secret_key": "arn:aws:ssm:us-east-1:123:parameter/app/key",
		"vault_token": "secret/data/ci/token",
		"credentials": "/var/run/secrets/gcp.json",
		"auth_token": "<your-token>",
		"secret_key_2": "xxxxxxxx",
		"passphrase": "",
		"db_password": {"secretKeyRef": {"name": "db", "key": "password"}},
		"MasterUserPassword": {"Ref": "DBPassword"},
		"Password": "{{resolve:secretsmanager:prod/db:SecretString:password}}",
		"py_password": "%(db_password)s",
		"dots_password": "...",
		"erb_password": "<%= ENV['DB_PASSWORD'] %>",
		"win_password": "%DB_PASSWORD%",
		"ci_password": "changeme",
		"other_password": "CHANGE_ME",
		"SCORER_API_KEY": "SCORER_API_KEY_VALUE",
		"DB_PASSWORD": "DB_PASSWORD",
	}
	count(r) == 0
}

# Names of Secrets and of keys inside them, connection ids and variable names are not values.
test_names_and_references_pass if {
	r := cfg001.deny with input as parse_config("yaml", `
auth:
  existingSecret: feature-store-redis-password
  existingSecretPasswordKey: redis-password
  existingSecretKey: root.crt
  passwordSecret: mysql-credentials
  passwordSecretKey: postgresql-password
  userSecret: mysql-credentials
  userSecretKey: username
  sshSecret: git-secret
  sshSecretKey: id_rsa
  secretName: tls-cert
  secret_key_ref: {name: db, key: password}
  password_key: db-password
  aws_conn_id: aws_default
  secret: airflow-git-secret
  credentials: gcp-service-account
`)
	count(r) == 0
}

test_flags_access_levels_and_tokens_that_are_not_credentials_pass if {
	r := cfg001.deny with input as parse_config("yaml", `
ALLOW_EMPTY_PASSWORD: yes
MYSQL_RANDOM_ROOT_PASSWORD: "yes"
MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: 1
allowEmptyPassword: true
permissions:
  id-token: write
  contents: read
response:
  nextPageToken: CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA
  page_token: "abc123"
  continuation_token: "eyJvZmZzZXQiOjEwMH0="
tokenizer:
  eos_token: "</s>"
  pad_token: "[PAD]"
  unk_token: "[UNK]"
  bos_token: "<s>"
labels:
  password: "Forgot your password?"
  webserverSecretKey: "Set this before deploying!"
`)
	count(r) == 0
}

test_digests_under_hash_keys_pass if {
	r := cfg001.deny with input as parse_config("yaml", `
password_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
hashed_password: "$2b$12$KIXQJzZr6QXwz1m6vN5C0uB3bF4Y7lq6iXx0m2c8JfQ1vWkS9dZyG"
hashedPassword: "$2b$12$KIXQJzZr6QXwz1m6vN5C0uB3bF4Y7lq6iXx0m2c8JfQ1vWkS9dZyG"
checksums:
  token: 4f2a9c1e7b3d5a8f0c6e2b9d1a7f3c5e
sha256:
  secret: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
image:
  token: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
`)
	count(r) == 0
}

test_secrets_in_a_list_are_left_to_sec025 if {
	r := cfg001.deny with input as {"apiVersion": "v1", "kind": "List", "items": [
		{"kind": "Secret", "stringData": {"password": "hunter2-prod"}},
		{"kind": "ConfigMap", "data": {"password": "hunter2-prod"}},
	]}
	{f.path | some f in r} == {["items", 1, "data", "password"]}
}

test_sealed_external_and_k8s_secrets_pass if {
	r := cfg001.deny with input as {"kind": "SealedSecret", "spec": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA9rO43"}}}
	count(r) == 0
	r2 := cfg001.deny with input as {"kind": "ExternalSecret", "spec": {"data": [{"secretKey": "token"}]}}
	count(r2) == 0
	r3 := cfg001.deny with input as {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2-prod"}}
	count(r3) == 0
	r4 := cfg001.deny with input as {"db": {"password": "ENC[AES256_GCM,data:Zq8Lm2,iv:x,tag:y,type:str]"}}
	count(r4) == 0
}

test_unrelated_keys_pass if {
	r := cfg001.deny with input as {
		"max_tokens": 256,
		"token_url": "https://auth.example.com/token",
		"secret_name": "db-credentials",
		"password_file": "/etc/app/pw",
		"use_token": true,
		"tokenizer": "bpe",
		"num_token": 12,
		"BACKEND_URL": "https://x",
		"bypass": "enabled-for-tests",
		"compass": "north-by-northwest",
	}
	count(r) == 0
}

test_backend_token_is_still_a_token if {
	r := cfg001.deny with input as {"BACKEND_TOKEN": "bk-7c1e9a0b3d5f"}
	count(r) == 1
}

# docker-compose `environment:` as a list of KEY=value strings; the finding points at the item.
test_compose_environment_list if {
	r := cfg001.deny with input as parse_config("yaml", `
services:
  web:
    environment:
      - "AIRFLOW__WEBSERVER__SECRET_KEY='a8f3kd9s0dk3x'"
      - FTP_PASS=password1
      - "- DB_PWD=abc123x"
      - API_TOKEN
      - PASS_THROUGH=${X}
      - DB_PASSWORD=
      - LOG_LEVEL=debug
      - ALLOW_EMPTY_PASSWORD=yes
`)
	paths(r) == {
		["services", "web", "environment", 0],
		["services", "web", "environment", 1],
		["services", "web", "environment", 2],
	}
}

test_long_form_and_name_value_pairs if {
	r := cfg001.deny with input as parse_config("yaml", `
variables:
  DEPLOY_TOKEN:
    value: glpat-abc123def456
    description: deploy token
  REGION:
    value: eu-west-1
  SAFE_TOKEN:
    value: $CI_DEPLOY_TOKEN
containerDefinitions:
  - name: app
    environment:
      - name: DB_PASSWORD
        value: s3cr3t-v4lue
      - name: LOG_LEVEL
        value: info
`)
	paths(r) == {["variables", "DEPLOY_TOKEN", "value"], ["containerDefinitions", 0, "environment", 0, "value"]}
}

# In a Kubernetes manifest, container env entries belong to K8S001.
test_k8s_env_entries_are_left_to_k8s001 if {
	r := cfg001.deny with input as {
		"apiVersion": "v1", "kind": "Pod",
		"spec": {"containers": [{"name": "a", "env": [{"name": "DB_PASSWORD", "value": "s3cr3t-v4lue"}]}]},
	}
	count(r) == 0
}

test_lockfiles_and_dependency_maps_pass if {
	r := cfg001.deny with input as {"lockfileVersion": 3, "packages": {"node_modules/gtoken": {"version": "5.0.0"}}, "x": {"token": "abc123def"}}
	count(r) == 0
	r2 := cfg001.deny with input as {"name": "app", "dependencies": {"gtoken": "^5.0.0", "registry-auth-token": "4.2.1"}}
	count(r2) == 0
	r3 := cfg001.deny with input as {"_meta": {"pipfile-spec": 6}, "default": {"token": {"hashes": ["sha256:ab"], "version": "==1.0"}}}
	count(r3) == 0
	r4 := cfg001.deny with input as {"content-hash": "abc", "packages": [{"name": "x/token", "dist": {"token": "t0k3n-v4lue"}}]}
	count(r4) == 0
}

# Any shape of any part of a document is accepted, and an odd part does not hide the others.
test_every_shape_is_total if {
	shapes := [null, "", "x", 0, 1.5, true, [], {}, [null], [[["DB_PASSWORD=x1y2z3"]]], {"a": null}, "${x}"]
	every s in shapes {
		r := cfg001.deny with input as s
		is_set(r)
	}
	every s in shapes {
		r := cfg001.deny with input as {"odd": s, "environment": [s, "API_TOKEN=tk-81c9e2f04d7a"], "password": "hunter2-prod"}
		count(r) == 2
	}
}

# Values that stand for a credential: names of the credential (two words, the second a
# credential word), the key's own name, fill-in instructions, filler shapes, format directives
# and ARM template expressions.
test_names_fill_ins_filler_and_template_expressions_pass if {
	r := cfg001.deny with input as {
		"gcs_credentials_secret": "warehouse-credentials",
		"password": "c_password",
		"login_token": "login-token",
		"slack_api_token": "slack_api_token",
		"client_secret": "update-this-value",
		"db_password": "paste_your_password",
		"api_key": "key-goes-here",
		"root_password": "yourpassword",
		"webhook_token": "T00000000?token=XXXXXXXXXXXXXXXXXXXXXXXX",
		"access_token": "sk-XXXXXXXXXXXXXXXXXXXXXXXX",
		"dsn_password": "%s",
		"fmt_password": "{db.password}",
		"administratorLoginPassword": "[parameters('administratorLoginPassword')]",
		"sqlPassword": "[concat(variables('prefix'), parameters('suffix'))]",
		"user_password": "pass",
		"ClientToken": "b7e4c3a1-9f2d-4e8a-a1c3-5d6e7f8a9b0c",
		"client_request_token": "0d9c8b7a-6f5e-4d3c",
		"versionToken": "vt-7f3a91c2",
	}
	count(r) == 0
}

# The same shapes with a real value in them stay findings.
test_values_next_to_those_shapes_are_found if {
	r := cfg001.deny with input as {
		"gcs_credentials_secret": "wh-Cr3d-2024",
		"password": "wandb-literal-key",
		"login_token": "Lg7Tk2Xw9Kt3Rp6V",
		"webhook_token": "T04K8Q2ZC?token=Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0",
		"dsn_password": "%s-Pr0d-9",
		"administratorLoginPassword": "[[parameters-Pr0d-9",
		"session_token": "Fwo-Real-Session-Token-1",
	}
	count(r) == 7
}

# Airflow connection-form metadata (`relabeling`, `placeholders`) describes fields; the same
# keys elsewhere hold values.
test_connection_form_labels_and_placeholders_pass if {
	r := cfg001.deny with input as parse_config("yaml", `
connection-types:
  - connection-type: chime
    ui-field-behaviour:
      relabeling:
        password: Webhook token
      placeholders:
        password: T00000000?token=XXXXXXXXXXXXXXXXXXXXXXXX
        extra_password: Fm-Placeholder-7
  - connection-type: other
    defaults:
      password: Fm-Real-Pr0d-7
`)
	paths(r) == {["connection-types", 1, "defaults", "password"]}
}
