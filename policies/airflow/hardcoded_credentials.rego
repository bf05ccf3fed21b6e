# AF001: a credential written into a DAG file. Looks at the keyword arguments of operators,
# sensors, hooks, hook methods, `Connection(...)` and `DAG(...)` (nested dicts included:
# `default_args`, `env={...}`, `headers={...}`, `extra={...}` or an `extra` JSON string), at
# module-level constants, at `os.environ[...] = ...`, and inside `bash_command` strings.
# Not findings: templates (`{{ conn.x.password }}`), `os.environ.get`/`Variable.get` calls,
# connection ids (`aws_conn_id`), notification addresses, placeholders.
package custos.airflow.hardcoded_credentials

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "AF001",
	"title": "Hardcoded credential in an Airflow DAG",
	"severity": "critical",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Store the credential in an Airflow connection or variable backed by a secrets backend (Vault, AWS Secrets Manager, GCP Secret Manager) and reference it by conn_id or a Jinja template; rotate the exposed value.",
	"sensitive": true,
}

call_categories := {"operator", "sensor", "hook", "hook-method", "connection", "dag"}

header_key := `(?i)^(authorization|proxy-authorization|x-api-key|api-key|x-auth-token)$`

# A value that came from a module constant is reported where the constant is defined.
from_constant(path) if {
	some r in input.refs
	count(r.path) <= count(path)
	array.slice(path, 0, count(r.path)) == r.path
}

secret_entry(k, v) if {
	credentials.key(k)
	credentials.literal_for(k, v)
}

secret_entry(k, v) if {
	regex.match(header_key, k)
	credentials.literal(v)
}

deny contains {"msg": msg, "path": full} if {
	some i, c in input.calls
	c.category in call_categories
	walk(c.kwargs, [p, v])
	count(p) > 0
	k := p[count(p) - 1]
	is_string(k)
	secret_entry(k, v)
	full := array.concat(["calls", i, "kwargs"], p)
	not from_constant(full)
	msg := sprintf("%s(…) gets a literal value for `%s`", [c.class, k])
}

# `extra` given as a JSON string.
deny contains {"msg": msg, "path": ["calls", i, "kwargs", "extra"]} if {
	some i, c in input.calls
	c.category in call_categories
	is_string(c.kwargs.extra)
	json.is_valid(c.kwargs.extra)
	obj := json.unmarshal(c.kwargs.extra)
	is_object(obj)
	some k, v in obj
	secret_entry(k, v)
	msg := sprintf("%s(extra=…) holds a literal value for `%s`", [c.class, k])
}

deny contains {"msg": msg, "path": array.concat(["constants"], p)} if {
	walk(input.constants, [p, v])
	count(p) > 0
	k := p[count(p) - 1]
	is_string(k)
	secret_entry(k, v)
	msg := sprintf("module-level `%s` is a literal credential", [concat(".", [sprintf("%v", [x]) | some x in p])])
}

deny contains {"msg": msg, "path": ["env", i, "value"]} if {
	some i, e in input.env
	credentials.key(e.name)
	credentials.literal(e.value)
	msg := sprintf("os.environ[%q] is set to a literal credential", [e.name])
}

bash_secret := `(?i)(?:\b[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY)[A-Z0-9_]*=|--password[= ]|--token[= ]|--api-key[= ])(["']?)([^\s"'$;|&{}]{4,})`

deny contains {"msg": msg, "path": ["calls", i, "kwargs", "bash_command"]} if {
	some i, c in input.calls
	cmd := c.kwargs.bash_command
	is_string(cmd)
	some m in regex.find_all_string_submatch_n(bash_secret, cmd, -1)
	not credentials.placeholder(m[2])
	msg := sprintf("%s bash_command passes a literal credential", [c.class])
}
