# LOG006: a service account reaches resources it never touched before. Service accounts
# (names matching `service_accounts`, e.g. `svc-*`, `*.iam.gserviceaccount.com`) do the same
# work every day; after a learning period (`learning`, default 24 h from its first record) a
# resource it had not accessed is a change in behaviour: lateral movement with its token, or
# a job reconfigured without review. One finding per service account, at the first new
# resource.
package custos.logs.new_resource

import data.custos.logs.lib
import data.custos.logs.lib.principals
import rego.v1

metadata := {
	"id": "LOG006",
	"title": "Service account accessed new resources",
	"description": "A service account accessed resources it had not accessed during its learning period. Service accounts have fixed duties; a new resource is either an unreviewed change or use of its credentials by someone else.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC6.1", "SOC2:CC7.2", "ISO27001:A.5.18", "ISO27001:A.8.16", "NIST-800-53:AC-6", "NIST-800-53:SI-4", "OWASP-LLM:LLM06:2025"],
	"remediation": "Confirm the new access was an approved change; otherwise rotate the service account's credentials and scope its permissions to the resources it needs.",
}

learning := lib.duration(lib.setting("learning_s")) if lib.setting("learning_s")

else := "learning period"

deny contains {"msg": msg, "path": ["principals", i, "new_resources", 0]} if {
	some [i, p] in principals
	p.service_account == true
	n := lib.number(p, "new_resources_count")
	n > 0
	is_array(p.new_resources)
	first := p.new_resources[0]
	is_object(first)
	names := [lib.text(object.get(r, "resource", null)) | some k, r in p.new_resources; k < 3; is_object(r)]
	msg := sprintf("service account %s accessed %d resource(s) it had not accessed in its first %s of activity (from %s): %s; first at %s", [lib.text(p.principal), n, learning, lib.text(object.get(p, "first", null)), concat(", ", names), lib.text(object.get(first, "first_seen", null))])
}
