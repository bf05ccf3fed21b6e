# AF004: `Variable.get` or a connection lookup at module top level runs at every DAG parse
# (every scheduler loop), which Airflow's best-practice guide advises against: it loads the
# metadata database or secrets backend and slows parsing. Use a Jinja template or call it
# inside the task.
package custos.airflow.top_level_lookups

import rego.v1

metadata := {
	"id": "AF004",
	"title": "Variable or connection lookup at DAG top level",
	"description": "`Variable.get` or a connection lookup (`BaseHook.get_connection`, …) at the top level of a DAG file, outside any task. Top-level code runs every time the scheduler parses the file, so each lookup queries the metadata database or the secrets backend again and again and slows parsing; it is reported as a warning.",
	"severity": "low",
	"kinds": ["airflow-dag"],
	"controls": ["SOC2:A1.1"],
	"remediation": "Move the lookup into the task (or use a template such as {{ var.value.name }} / {{ conn.id.password }}) so it runs at execution time, not at every parse.",
}

warn contains {"msg": msg, "path": ["lookups", i]} if {
	some i, l in input.lookups
	l.top_level
	msg := sprintf("%s(…) runs at module top level, at every DAG parse", [l.callee])
}
