# LOG007: clients whose cost or tokens per request are robust outliers. Per principal with at
# least `outlier_min_requests` requests the aggregate has the cost and tokens per request, and
# the source has their median and MAD over those principals. A modified z-score
# 0.6745 × (x − median) / MAD above `outlier_z` (default 3.5, Iglewicz and Hoaglin) that is also
# at least `outlier_ratio` (default 3) times the median is an outlier: in a homogeneous
# population the MAD is tiny and a z-score alone would flag a client that merely writes longer
# prompts. When the MAD is 0, the ratio alone decides. Only the high side is reported.
package custos.logs.usage_outliers

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG007",
	"title": "Cost or token usage outlier",
	"description": "A client's cost or tokens per request is a robust outlier against the other clients of the same source (median and MAD): runaway agents, prompt-stuffing, abuse of a leaked key, or an unbounded-consumption attack.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["OWASP-LLM:LLM10:2025", "NIST-AI-RMF:MANAGE 2.4", "NIST-AI-RMF:MEASURE 2.7", "SOC2:CC7.2", "ISO27001:A.8.16", "NIST-800-53:SI-4"],
	"remediation": "Review the client's requests; set per-client budgets, rate and token limits, and rotate its key if the usage is not its own.",
}

metrics := {"cost_per_request": "cost per request", "tokens_per_request": "tokens per request"}

z(x, pop) := (0.6745 * (x - pop.median)) / pop.mad if pop.mad > 0

outlier(x, pop) if {
	z(x, pop) > lib.setting("outlier_z")
	x >= lib.setting("outlier_ratio") * pop.median
}

outlier(x, pop) if {
	pop.mad == 0
	pop.median > 0
	x >= lib.setting("outlier_ratio") * pop.median
}

score(x, pop) := sprintf("robust z %s", [lib.num(z(x, pop))]) if pop.mad > 0

score(x, pop) := sprintf("%s× the median", [lib.num(x / pop.median)]) if {
	pop.mad == 0
	pop.median > 0
}

deny contains {"msg": msg, "path": ["principals", i]} if {
	least := lib.setting("outlier_min_requests")
	ratio := lib.setting("outlier_ratio")
	some metric, label in metrics
	is_object(input.population)
	pop := input.population[metric]
	lib.number(pop, "principals") >= 5
	median := lib.number(pop, "median")
	lib.number(pop, "mad")
	is_array(input.principals)
	some i, p in input.principals
	requests := p.requests
	is_number(requests)
	requests >= least
	x := p[metric]
	is_number(x)
	x > median
	x >= ratio * median
	outlier(x, pop)
	msg := sprintf("%s: %s %s over %d requests is an outlier (median %s, MAD %s over %d clients; %s, thresholds: z %s and %s× the median)", [lib.text(p.principal), label, lib.num(x), requests, lib.num(pop.median), lib.num(pop.mad), pop.principals, score(x, pop), lib.num(lib.setting("outlier_z")), lib.num(lib.setting("outlier_ratio"))])
}
