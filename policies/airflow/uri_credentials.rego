# AF002: credentials embedded in a connection URI anywhere in a DAG file (SQLAlchemy, JDBC
# `password=`, MongoDB, Redis, AMQP, HTTP basic auth, `AIRFLOW_CONN_*` values). The connection
# id in an object-storage URI's userinfo (`s3://aws_default@bucket/`) is not a credential.
# Scale: the detector runs once over all free strings and once per block of calls (serialised;
# JSON escaping touches only characters a URI's userinfo cannot hold), and on single values
# only where that found something.
package custos.airflow.uri_credentials

import data.custos.airflow.calls.blocks
import data.custos.airflow.calls.class_of
import rego.v1

metadata := {
	"id": "AF002",
	"title": "Credentials in a connection URI in an Airflow DAG",
	"description": "A password inside a connection URI anywhere in an Airflow DAG: SQLAlchemy URLs, JDBC `password=`, MongoDB, Redis, AMQP, HTTP basic auth and `AIRFLOW_CONN_*` values. The URI carries a working credential into the repository and its history; templated URIs and placeholders such as `user:password@` are not findings.",
	"severity": "critical",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Define the connection in a secrets backend (or AIRFLOW_CONN_* from a secret) and refer to it by conn_id; rotate the exposed password.",
	"sensitive": true,
}

uri_rules := {"SEC020", "SEC021"}

uri_secret(s) if {
	is_string(s)
	some d in custos.secrets(s)
	d.rule in uri_rules
}

# A match cannot span the newline between two strings.
free_strings := concat("\n", [s.value | some s in input.strings; is_string(s.value)])

deny contains {"msg": "a connection URI in this string embeds a password", "path": ["strings", i]} if {
	uri_secret(free_strings)
	some i, s in input.strings
	uri_secret(s.value)
}

deny contains {"msg": msg, "path": full} if {
	some [o, part] in blocks
	uri_secret(json.marshal(part))
	some j, c in part
	uri_secret(json.marshal(c.kwargs))
	walk(c.kwargs, [p, v])
	uri_secret(v)
	full := array.concat(["calls", o + j, "kwargs"], p)
	msg := sprintf("%s(…) gets a connection URI with an embedded password", [class_of(c)])
}
