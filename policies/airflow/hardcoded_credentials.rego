# AF001: a credential written into a DAG file. Looks at the keyword arguments of operators,
# sensors, hooks, hook methods, `Connection(...)`, `DAG(...)` and the project's own DAG
# factories (nested dicts included: `default_args`, `env={...}`, `headers={...}`, `extra={...}`
# or an `extra` JSON string; a factory's argument also under the name the factory passes it on
# as), at `@dag`/`@task` decorator arguments, at module-level constants (also when passed as a
# credential under another name), at `os.environ[...] = ...`, and inside `bash_command` strings.
# Not findings: templates (`{{ conn.x.password }}`), `os.environ.get`/`Variable.get` calls,
# connection ids (`aws_conn_id`), notification addresses, placeholders, idempotency, paging and
# version tokens (`client_request_token`, `NextToken`).
# Scale: see calls.rego — names are judged once each, commands searched a block at a time.
package custos.airflow.hardcoded_credentials

import data.custos.airflow.calls.blocks
import data.custos.airflow.calls.class_of
import data.custos.airflow.calls.names
import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "AF001",
	"title": "Hardcoded credential in an Airflow DAG",
	"description": "Credentials written as literals in an Airflow DAG: credential-named keyword arguments of operators, hooks and `Connection` (including `extra` as a dict or JSON string), `default_args`, `env={...}`, HTTP `Authorization` headers, module constants, `os.environ[...] =` and secrets inside `bash_command` (`X_PASSWORD=…`, `--password …`). A DAG file is read by the scheduler, every worker and everyone with access to the repository, and the value stays in its history; Jinja templates, `os.environ.get`, `Variable.get` and connection ids are not findings.",
	"severity": "critical",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Store the credential in an Airflow connection or variable backed by a secrets backend (Vault, AWS Secrets Manager, GCP Secret Manager) and reference it by conn_id or a Jinja template; rotate the exposed value.",
	"sensitive": true,
}

call_categories := {"operator", "sensor", "hook", "hook-method", "connection", "dag", "factory"}

header_key := `(?i)^(authorization|proxy-authorization|x-api-key|api-key|x-auth-token)$`

# Tokens that are not credentials: idempotency (`ClientToken`, `client_request_token`),
# pagination (`NextToken`, `continuation_token`) and optimistic-locking (`version_token`) tokens.
not_a_credential := `(?i)(client_?(request_?)?|idempotency_?|next_?|continuation_?|page_?|pagination_?|version_?)token$`

credential_key(k) if {
	credentials.key(k)
	not regex.match(not_a_credential, k)
}

secret_key(k) if credential_key(k)

secret_key(k) if {
	is_string(k)
	regex.match(header_key, k)
}

secret_entry(k, v) if {
	credential_key(k)
	credentials.literal_for(k, v)
	not credentials.reference_name(k, v)
	not credentials.prose(k, v)
	not credentials.repeats_key(k, v)
}

secret_entry(k, v) if {
	is_string(k)
	regex.match(header_key, k)
	credentials.literal(v)
}

# Paths whose value was resolved from a module constant (reported at the constant instead).
ref_paths := {r.path | some r in input.refs}

from_constant(path) if {
	some n in numbers.range(1, count(path))
	array.slice(path, 0, n) in ref_paths
}

# Keyword arguments named like a credential.
secret_names := {k | some k in names; secret_key(k)}

deny contains {"msg": msg, "path": full} if {
	some k in secret_names
	some i, c in input.calls
	v := c.kwargs[k]
	c.category in call_categories
	secret_entry(k, v)
	full := ["calls", i, "kwargs", k]
	not from_constant(full)
	msg := sprintf("%s(…) gets a literal value for `%s`", [class_of(c), k])
}

# Inside dict and list arguments.
deny contains {"msg": msg, "path": full} if {
	some [i, arg] in input.index.nested
	c := input.calls[i]
	c.category in call_categories
	walk(c.kwargs[arg], [p, v])
	count(p) > 0
	k := p[count(p) - 1]
	secret_entry(k, v)
	full := array.concat(["calls", i, "kwargs", arg], p)
	not from_constant(full)
	msg := sprintf("%s(…) gets a literal value for `%s`", [class_of(c), k])
}

# A factory argument the factory passes on as a credential: `make_dag(pw="…")` where `pw`
# becomes `PostgresOperator(password=pw)`.
deny contains {"msg": msg, "path": full} if {
	some i in input.index.factories
	c := input.calls[i]
	some k, targets in c.flows
	v := c.kwargs[k]
	not secret_entry(k, v)
	passed := [t | some t in targets; secret_entry(t, v)]
	count(passed) > 0
	full := ["calls", i, "kwargs", k]
	not from_constant(full)
	msg := sprintf("%s(…) gets a literal value for `%s`, which it passes on as `%s`", [class_of(c), k, concat("`, `", passed)])
}

# `extra` given as a JSON string.
deny contains {"msg": msg, "path": ["calls", i, "kwargs", "extra"]} if {
	"extra" in names
	some i, c in input.calls
	extra := c.kwargs.extra
	is_string(extra)
	c.category in call_categories
	json.is_valid(extra)
	obj := json.unmarshal(extra)
	is_object(obj)
	some k, v in obj
	secret_entry(k, v)
	msg := sprintf("%s(extra=…) holds a literal value for `%s`", [class_of(c), k])
}

# `@dag(default_args={...})`, `@task.kubernetes(env_vars={...})`.
decorator_kwargs contains [["dags", i, "kwargs"], d.kwargs] if some i, d in input.dags

decorator_kwargs contains [["tasks", i, "kwargs"], t.kwargs] if {
	some i, t in input.tasks
	t.style == "taskflow"
}

deny contains {"msg": msg, "path": full} if {
	some [at, kwargs] in decorator_kwargs
	walk(kwargs, [p, v])
	count(p) > 0
	k := p[count(p) - 1]
	secret_entry(k, v)
	msg := sprintf("decorator argument `%s` is a literal credential", [k])
	full := array.concat(at, p)
}

deny contains {"msg": msg, "path": array.concat(["constants"], p)} if {
	walk(input.constants, [p, v])
	count(p) > 0
	k := p[count(p) - 1]
	secret_entry(k, v)
	msg := sprintf("module-level `%s` is a literal credential", [concat(".", [sprintf("%v", [x]) | some x in p])])
}

# A constant passed where a credential goes (`Connection(password=DB_PW)`), at the constant.
# The names it is used under: the keyword (or dict key) it is passed as, and where a factory
# passes that argument on.
used_as contains [r.constant, k] if {
	some r in input.refs
	k := r.path[count(r.path) - 1]
	is_string(k)
}

used_as contains [r.constant, t] if {
	some r in input.refs
	count(r.path) == 4
	r.path[0] == "calls"
	some t in input.calls[r.path[1]].flows[r.path[3]]
}

deny contains {"msg": msg, "path": ["constants", name]} if {
	some name, v in input.constants
	not secret_entry(name, v)
	passed := sort([k | some use in used_as; use[0] == name; k := use[1]; secret_entry(k, v)])
	count(passed) > 0
	msg := sprintf("module-level `%s` is a literal credential, passed as `%s`", [name, concat("`, `", passed)])
}

deny contains {"msg": msg, "path": ["env", i, "value"]} if {
	some i, e in input.env
	credentials.key(e.name)
	credentials.literal(e.value)
	msg := sprintf("os.environ[%q] is set to a literal credential", [e.name])
}

bash_secret := `(?i)(?:\b[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY)[A-Z0-9_]*=|--password[= ]|--token[= ]|--api-key[= ])(["']?)([^\s"'$;|&{}]{4,})`

# One search per block of commands (a match cannot span the newline between two of them).
deny contains {"msg": msg, "path": ["calls", i, "kwargs", "bash_command"]} if {
	"bash_command" in names
	some [o, part] in blocks
	# `"" <= cmd; cmd < []`: a string (Rego orders values by type first), without a builtin call.
	regex.match(bash_secret, concat("\n", [cmd | some c in part; cmd := c.kwargs.bash_command; "" <= cmd; cmd < []]))
	some j, c in part
	cmd := c.kwargs.bash_command
	is_string(cmd)
	some m in regex.find_all_string_submatch_n(bash_secret, cmd, -1)
	not credentials.placeholder(m[2])
	i := o + j
	msg := sprintf("%s bash_command passes a literal credential", [class_of(c)])
}
