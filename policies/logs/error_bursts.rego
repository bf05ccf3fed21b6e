# LOG009: bursts of 429 and 5xx responses per client and endpoint. In a window of the
# shortest configured length, a client with at least `burst_min` throttled (429) or failed
# (5xx) responses making up at least `burst_share` of its requests is a finding, naming the
# endpoint with most errors. Credential stuffing, scraping against rate limits and a client
# hammering a failing dependency all look like this.
package custos.logs.error_bursts

import data.custos.logs.lib
import data.custos.logs.lib.short_window
import rego.v1

metadata := {
	"id": "LOG009",
	"title": "429/5xx error burst",
	"description": "A client received a burst of throttled (429) or server-error (5xx) responses in one window, most of its requests failing: abuse against rate limits, or an availability problem the service owner should see.",
	"severity": "low",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:A1.2", "SOC2:CC7.2", "ISO27001:A.8.16", "NIST-800-53:SI-4", "NIST-800-53:SC-5", "OWASP-LLM:LLM10:2025"],
	"remediation": "Look at the client and the endpoint in that window: block abusive clients, fix the failing dependency, or tune the rate limit.",
}

deny contains {"msg": msg, "path": ["principals", i, "windows", key, j]} if {
	len := short_window
	key := sprintf("%d", [len])
	min_errors := lib.setting("burst_min")
	share := lib.setting("burst_share")
	is_array(input.principals)
	some i, p in input.principals
	ws := p.windows[key]
	is_array(ws)
	some j, w in ws
	e429 := w.errors_429
	e5xx := w.errors_5xx
	is_number(e429)
	is_number(e5xx)
	errors := e429 + e5xx
	errors >= min_errors
	requests := w.requests
	is_number(requests)
	errors >= requests * share
	msg := sprintf("%s got %d error responses (%d × 429, %d × 5xx) of %d requests (%s) in the %s window from %s%s", [lib.text(p.principal), errors, e429, e5xx, requests, lib.pct(errors, requests), lib.duration(len), lib.text(w.start), endpoint(object.get(w, "top_error_resource", null))])
}

endpoint(t) := sprintf(", mostly on %s (%v)", [t.resource, object.get(t, "count", "?")]) if {
	is_object(t)
	is_string(t.resource)
} else := ""
