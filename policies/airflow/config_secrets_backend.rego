# AFC001: an airflow.cfg with no secrets backend: connections and variables (with their
# passwords) then live in the metadata database, encrypted only by the Fernet key.
package custos.airflow.config_secrets_backend

import rego.v1

metadata := {
	"id": "AFC001",
	"title": "Airflow configured without a secrets backend",
	"description": "An `airflow.cfg` whose `[secrets]` section names no `backend`. Without a secrets backend, connections and variables — passwords included — are kept in Airflow's metadata database or in environment variables instead of a secret store with access control, audit and rotation.",
	"severity": "medium",
	"kinds": ["ini"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Set [secrets] backend to a secrets backend (HashiCorp Vault, AWS Secrets Manager/SSM, GCP Secret Manager, Azure Key Vault) and keep connections there.",
}

airflow_keys := {"executor", "dags_folder", "sql_alchemy_conn", "fernet_key", "load_examples"}

is_airflow_cfg if {
	some k in airflow_keys
	input.core[k]
}

backend_set if trim_space(object.get(object.get(input, "secrets", {}), "backend", "")) != ""

deny contains {"msg": "airflow.cfg configures no [secrets] backend", "path": ["core"]} if {
	is_airflow_cfg
	not backend_set
}
