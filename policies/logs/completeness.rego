# LOG001: access or inference log records without the fields an audit needs. The aggregate
# counts, per logical field (timestamp, request id, principal, resource, model and its version,
# action, outcome, …), how many records of the source carry it. A field the source is
# configured to require (`required` of its `[[logs.source]]`, or its preset's list) must be in
# every record; without a configured list, a core audit field the source records in at least
# 90 % of its records must be in all of them (a schema fault, a code path that logs less).
# One finding per field, at the first record that lacks it.
package custos.logs.completeness

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG001",
	"title": "Log records missing audit fields",
	"description": "Access and inference log records of a source lack fields an auditor needs to reconstruct who did what, to which resource or model version, when, and with what outcome: a required field (per source, or the preset's list) missing from any record, or a core field the source normally records missing from some records. The finding counts the records and points at the first one.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-3", "NIST-AI-RMF:MEASURE 2.8", "GDPR:Art.30"],
	"remediation": "Log every access and inference with a timestamp, request id, authenticated principal, resource (model and version), action and outcome; fix the code paths or services that emit incomplete records.",
}

core := {"timestamp", "request_id", "principal", "resource", "model", "action", "outcome"}

why(name, f) := "required for this source" if f.required == true

why(name, f) := sprintf("recorded in %s of the records", [lib.pct(f.present, input.records)]) if {
	not f.required == true
	not input.settings.required_explicit == true
	core[name]
	is_number(f.present)
	f.present * 10 >= input.records * 9
}

deny contains {"msg": msg, "path": ["fields", name]} if {
	is_number(input.records)
	input.records > 0
	is_object(input.fields)
	some name, f in input.fields
	is_object(f)
	is_number(f.missing)
	f.missing > 0
	reason := why(name, f)
	msg := sprintf("%d of %d records (%s) of log source %q have no %s (%s); first at %s", [f.missing, input.records, lib.pct(f.missing, input.records), lib.text(input.source), name, reason, lib.where(object.get(f, "at", null))])
}
