# TF010: secrets written into Terraform: credential-named (or `sensitive`) variables with literal
# defaults, database admin passwords (RDS, Aurora, Redshift, DocumentDB, ElastiCache auth tokens,
# Azure SQL), credential-named Lambda / SageMaker environment variables, ECS container
# definitions (JSON or jsonencode), and secrets inside EC2 / launch-template user_data.
# References (`var.x`, `random_password.x.result`, `data.aws_secretsmanager_secret_version…`)
# are not literals.
package custos.terraform.hardcoded_secrets

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "TF010",
	"title": "Hardcoded secret in Terraform",
	"severity": "critical",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Generate the secret (random_password) or read it from Secrets Manager / Key Vault / Secret Manager, mark variables sensitive without defaults, and pass runtime secrets by reference (secrets in ECS, Lambda extensions); rotate the exposed value.",
	"sensitive": true,
}

literal(v) if {
	credentials.literal(v)
	not contains(v, "${")
}

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

password_attrs := {
	"aws_db_instance": "password", "aws_rds_cluster": "master_password", "aws_redshift_cluster": "master_password",
	"aws_docdb_cluster": "master_password", "aws_elasticache_replication_group": "auth_token",
	"azurerm_mssql_server": "administrator_login_password", "azurerm_sql_server": "administrator_login_password",
	"azurerm_postgresql_flexible_server": "administrator_password", "google_sql_user": "password",
}

deny contains {"msg": msg, "path": ["variable", name, "default"]} if {
	some name, body in input.variable
	some v in as_list(body)
	credentials.key(name)
	literal(v.default)
	msg := sprintf("variable %q has a literal default", [name])
}

deny contains {"msg": msg, "path": ["variable", name, "default"]} if {
	some name, body in input.variable
	some v in as_list(body)
	v.sensitive == true
	not credentials.key(name)
	literal(v.default)
	msg := sprintf("sensitive variable %q has a literal default", [name])
}

deny contains {"msg": msg, "path": ["resource", ty, name, attr]} if {
	some ty, attr in password_attrs
	some name, r in input.resource[ty]
	literal(r[attr])
	msg := sprintf("%s.%s sets %s to a literal", [ty, name, attr])
}

env_maps contains [["resource", "aws_lambda_function", name, "environment", "variables"], r.environment.variables] if {
	some name, r in input.resource.aws_lambda_function
}

env_maps contains [["resource", "aws_sagemaker_model", name, "primary_container", "environment"], r.primary_container.environment] if {
	some name, r in input.resource.aws_sagemaker_model
}

deny contains {"msg": msg, "path": array.concat(base, [k])} if {
	some [base, vars] in env_maps
	is_object(vars)
	some k, v in vars
	credentials.key(k)
	literal(v)
	msg := sprintf("environment variable %q is a literal credential", [k])
}

# ECS: container_definitions as a JSON string …
deny contains {"msg": msg, "path": ["resource", "aws_ecs_task_definition", name, "container_definitions"]} if {
	some name, r in input.resource.aws_ecs_task_definition
	json.is_valid(r.container_definitions)
	some c in json.unmarshal(r.container_definitions)
	some e in object.get(c, "environment", [])
	credentials.key(e.name)
	literal(e.value)
	msg := sprintf("ECS container %q gets %s as a literal environment value", [object.get(c, "name", "?"), e.name])
}

# … or as jsonencode(...), kept as its source text.
jsonencode_env := `name\s*=\s*"([A-Za-z0-9_]*(?i:password|passwd|secret|token|api_?key|private_?key)[A-Za-z0-9_]*)"\s*,?\s*value\s*=\s*"([^"$]+)"`

deny contains {"msg": msg, "path": ["resource", "aws_ecs_task_definition", name, "container_definitions"]} if {
	some name, r in input.resource.aws_ecs_task_definition
	is_string(r.container_definitions)
	startswith(r.container_definitions, "${jsonencode(")
	some m in regex.find_all_string_submatch_n(jsonencode_env, r.container_definitions, -1)
	not credentials.placeholder(m[2])
	msg := sprintf("ECS container definition sets %s to a literal", [m[1]])
}

user_data_types := {"aws_instance", "aws_launch_template", "aws_launch_configuration"}

deny contains {"msg": msg, "path": ["resource", ty, name, "user_data"]} if {
	some ty in user_data_types
	some name, r in input.resource[ty]
	is_string(r.user_data)
	count(custos.secrets(r.user_data)) > 0
	msg := sprintf("%s.%s user_data contains a secret", [ty, name])
}
