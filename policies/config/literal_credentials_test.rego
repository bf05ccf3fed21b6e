package custos.config.literal_credentials_test

import data.custos.config.literal_credentials as cfg001
import rego.v1

test_literal_password_in_yaml if {
	r := cfg001.deny with input as parse_config("yaml", `
database:
  host: db.internal
  password: hunter2-prod
  port: 5432
`)
	count(r) == 1
	some f in r
	f.path == ["database", "password"]
}

test_camel_case_and_numbers if {
	r := cfg001.deny with input as {"apiKey": "k-9f8e7d6c5b4a", "clientSecret": "abc123def", "dbPassword": 123456}
	count(r) == 3
}

test_weak_password_still_found if {
	r := cfg001.deny with input as {"POSTGRES_PASSWORD": "postgres"}
	count(r) == 1
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
		"credentials": "/var/run/secrets/gcp.json",
		"auth_token": "<your-token>",
		"secret_key": "xxxxxxxx",
		"passphrase": "",
		"db_password": {"secretKeyRef": {"name": "db", "key": "password"}},
		"MasterUserPassword": {"Ref": "DBPassword"},
		"Password": "{{resolve:secretsmanager:prod/db:SecretString:password}}",
	}
	count(r) == 0
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
	}
	count(r) == 0
}
