# LOG008: a client that sustains requests at the model's output-token limit. A record is at
# the limit when its finish reason says the output was cut (`length`, `max_tokens`), or its
# completion used every token the request allowed (`max_tokens`) or the model's configured
# limit (`[logs] model_limits`). At least `limit_min` such requests, at least `limit_share` of
# the client's requests, spread over at least `limit_hours` distinct hours of the day: the
# shape of a model-extraction or data-harvesting job that runs around the clock.
package custos.logs.token_limit

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG008",
	"title": "Sustained requests at the model's token limit",
	"description": "A client's requests end at the model's maximum output length most of the time, around the clock. Systematically maximal generations are how model extraction and bulk data harvesting through a model look in its usage logs.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["OWASP-LLM:LLM10:2025", "NIST-AI-RMF:MANAGE 2.4", "NIST-AI-RMF:MEASURE 2.7", "SOC2:CC7.2", "NIST-800-53:SI-4"],
	"remediation": "Review the client's use; lower its max_tokens and rate limits, and revoke its key if the use is not legitimate.",
}

deny contains {"msg": msg, "path": ["principals", i]} if {
	least := lib.setting("limit_min")
	share := lib.setting("limit_share")
	least_hours := lib.setting("limit_hours")
	is_array(input.principals)
	some i, p in input.principals
	at := p.at_limit
	is_number(at)
	at >= least
	requests := p.requests
	is_number(requests)
	at >= requests * share
	hours := p.at_limit_hours
	is_number(hours)
	hours >= least_hours
	msg := sprintf("%s: %d of %d requests (%s) ended at the output-token limit, in %d distinct hours of the day (thresholds: %d requests, %s, %d hours)", [lib.text(p.principal), at, requests, lib.pct(at, requests), hours, lib.setting("limit_min"), lib.pct(lib.setting("limit_share"), 1), lib.setting("limit_hours")])
}
