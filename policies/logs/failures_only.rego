# LOG003: a source that logs (almost) only failures. When at least `failures_min` records say
# how their request ended and no more than `failures_success_share` of them succeeded, the
# source is taken to log errors only: successful accesses — the ones an access review needs —
# are not recorded.
package custos.logs.failures_only

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG003",
	"title": "Log source records only failures",
	"description": "Almost none of the requests a log source records succeeded: the service logs errors but not successful access, so nobody can review who read or invoked what.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.15", "NIST-800-53:AU-2", "NIST-800-53:AU-12", "NIST-AI-RMF:MEASURE 2.8"],
	"remediation": "Log successful requests as well as failures (access logs at INFO, not only errors), with the same fields.",
}

deny contains {"msg": msg, "path": ["outcomes"]} if {
	n := lib.number(input, "with_outcome")
	n >= lib.setting("failures_min")
	ok := lib.number(input, "successes")
	share := lib.setting("failures_success_share")
	ok <= n * share
	msg := sprintf("only %d of %d logged requests (%s) of log source %q succeeded: it appears to log failures only (threshold %s)", [ok, n, lib.pct(ok, n), lib.text(input.source), lib.pct(share, 1)])
}
