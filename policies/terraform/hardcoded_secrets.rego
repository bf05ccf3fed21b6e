# TF010: secrets written into Terraform: credential-named (or `sensitive`) variables with literal
# defaults, admin passwords (RDS, Aurora, Redshift, DocumentDB, ElastiCache auth tokens, AWS
# Directory Service, Azure SQL/PostgreSQL/MySQL and VMs, Cloud SQL), credential-named Lambda /
# SageMaker environment variables, ECS container definitions (JSON or jsonencode), and secrets
# inside EC2 / launch-template user_data.
# Write-only arguments (`*_wo`, Terraform 1.11: `password_wo`, `secret_string_wo`, `value_wo`…)
# exist to carry secrets without storing them in state: a literal there is still a secret in
# the source. References (`var.x`, `ephemeral.random_password.x.result`,
# `random_password.x.result`, `data.aws_secretsmanager_secret_version…`) are not literals.
package custos.terraform.hardcoded_secrets

import data.custos.lib.credentials
import data.custos.lib.terraform as tf
import data.custos.lib.terraform.by_type
import rego.v1

metadata := {
	"id": "TF010",
	"title": "Hardcoded secret in Terraform",
	"description": "A secret written into Terraform: defaults of credential or `sensitive` variables, admin passwords of databases, directories and VMs, write-only arguments (`password_wo`, `*_wo`), Lambda and SageMaker environment variables, ECS container definitions and EC2 `user_data`. The value is committed with the code and stays in its history, and most arguments also copy it into plans and state.",
	"severity": "critical",
	"kinds": ["terraform"],
	"reads": ["resource", "variable"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Generate the secret (random_password) or read it from Secrets Manager / Key Vault / Secret Manager, mark variables sensitive without defaults, and pass runtime secrets by reference (secrets in ECS, Lambda extensions); rotate the exposed value.",
	"sensitive": true,
}

literal(v) if {
	credentials.literal(v)
	not contains(v, "${")
}

password_attrs := {
	"aws_db_instance": "password", "aws_rds_cluster": "master_password", "aws_redshift_cluster": "master_password",
	"aws_docdb_cluster": "master_password", "aws_elasticache_replication_group": "auth_token",
	"aws_directory_service_directory": "password", "aws_redshiftserverless_namespace": "admin_user_password",
	"azurerm_mssql_server": "administrator_login_password", "azurerm_sql_server": "administrator_login_password",
	"azurerm_postgresql_server": "administrator_login_password", "azurerm_mysql_server": "administrator_login_password",
	"azurerm_postgresql_flexible_server": "administrator_password", "azurerm_mysql_flexible_server": "administrator_password",
	"azurerm_mssql_managed_instance": "administrator_login_password",
	"azurerm_linux_virtual_machine": "admin_password", "azurerm_windows_virtual_machine": "admin_password",
	"google_sql_user": "password", "google_sql_database_instance": "root_password",
}

deny contains {"msg": msg, "path": ["variable", name, "default"]} if {
	some name, body in tf.section("variable")
	some v in tf.list(body)
	credentials.key(name)
	literal(tf.get(v, "default", null))
	msg := sprintf("variable %q has a literal default", [name])
}

deny contains {"msg": msg, "path": ["variable", name, "default"]} if {
	some name, body in tf.section("variable")
	some v in tf.list(body)
	tf.true_value(tf.get(v, "sensitive", false))
	not credentials.key(name)
	literal(tf.get(v, "default", null))
	msg := sprintf("sensitive variable %q has a literal default", [name])
}

deny contains {"msg": msg, "path": array.concat(path, [attr])} if {
	some ty, attr in password_attrs
	some [path, name, r] in by_type[ty]
	literal(tf.get(r, attr, null))
	msg := sprintf("%s.%s sets %s to a literal", [ty, name, attr])
}

# Write-only arguments of any resource (and of its blocks, one level down). Their version
# counters (`*_wo_version`) are numbers, not secrets. The document, then each resource, is
# screened for a `_wo` key in its serialised form (one builtin call each), so attributes are
# looked into only where such a key exists.
write_only(attr) if {
	is_string(attr)
	endswith(attr, "_wo")
}

any_write_only if contains(json.marshal(tf.section("resource")), `_wo"`)

with_write_only contains [ty, path, name, r] if {
	any_write_only
	some ty, _ in tf.section("resource")
	some [path, name, r] in by_type[ty]
	contains(json.marshal(r), `_wo"`)
}

deny contains {"msg": msg, "path": array.concat(path, [attr])} if {
	some [ty, path, name, r] in with_write_only
	some attr, v in r
	write_only(attr)
	literal(v)
	msg := sprintf("%s.%s sets the write-only argument %s to a literal", [ty, name, attr])
}

deny contains {"msg": msg, "path": array.concat(path, [block, attr])} if {
	some [ty, path, name, r] in with_write_only
	some block, b in r
	is_object(b)
	some attr, v in b
	write_only(attr)
	literal(v)
	msg := sprintf("%s.%s sets the write-only argument %s.%s to a literal", [ty, name, block, attr])
}

deny contains {"msg": msg, "path": array.concat(path, [block, i, attr])} if {
	some [ty, path, name, r] in with_write_only
	some block, blocks in r
	is_array(blocks)
	some i, b in blocks
	is_object(b)
	some attr, v in b
	write_only(attr)
	literal(v)
	msg := sprintf("%s.%s sets the write-only argument %s.%s to a literal", [ty, name, block, attr])
}

env_maps contains [array.concat(path, ["environment", "variables"]), vars] if {
	some [path, _, r] in by_type["aws_lambda_function"]
	some e in tf.blocks(r, "environment")
	vars := tf.get(e, "variables", null)
}

env_maps contains [array.concat(path, ["primary_container", "environment"]), vars] if {
	some [path, _, r] in by_type["aws_sagemaker_model"]
	some c in tf.blocks(r, "primary_container")
	vars := tf.get(c, "environment", null)
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
deny contains {"msg": msg, "path": array.concat(path, ["container_definitions"])} if {
	some [path, name, r] in by_type["aws_ecs_task_definition"]
	defs := tf.get(r, "container_definitions", null)
	is_string(defs)
	json.is_valid(defs)
	some c in tf.list(json.unmarshal(defs))
	some e in tf.blocks(c, "environment")
	credentials.key(tf.get(e, "name", null))
	literal(tf.get(e, "value", null))
	msg := sprintf("ECS container %q gets %s as a literal environment value", [tf.get(c, "name", "?"), e.name])
}

# … or as jsonencode(...), kept as its source text.
jsonencode_env := `name\s*=\s*"([A-Za-z0-9_]*(?i:password|passwd|secret|token|api_?key|private_?key)[A-Za-z0-9_]*)"\s*,?\s*value\s*=\s*"([^"$]+)"`

deny contains {"msg": msg, "path": array.concat(path, ["container_definitions"])} if {
	some [path, name, r] in by_type["aws_ecs_task_definition"]
	defs := tf.get(r, "container_definitions", null)
	is_string(defs)
	startswith(defs, "${jsonencode(")
	some m in regex.find_all_string_submatch_n(jsonencode_env, defs, -1)
	not credentials.placeholder(m[2])
	msg := sprintf("ECS container definition sets %s to a literal", [m[1]])
}

user_data_types := {"aws_instance", "aws_launch_template", "aws_launch_configuration"}

deny contains {"msg": msg, "path": array.concat(path, ["user_data"])} if {
	some ty in user_data_types
	some [path, name, r] in by_type[ty]
	user_data := tf.get(r, "user_data", null)
	is_string(user_data)
	count(custos.secrets(user_data)) > 0
	msg := sprintf("%s.%s user_data contains a secret", [ty, name])
}
