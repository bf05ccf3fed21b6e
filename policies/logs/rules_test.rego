# Unit tests of the access-log audit rules (LOG001–LOG009) on hand-written aggregates: each
# rule fires on the shape it is for, with its evidence numbers in the message, and stays quiet
# just below its thresholds and on missing or mistyped fields.
package custos.logs.rules_test

import data.custos.logs.completeness
import data.custos.logs.error_bursts
import data.custos.logs.failures_only
import data.custos.logs.new_resource
import data.custos.logs.off_hours_bulk
import data.custos.logs.raw_prompts
import data.custos.logs.read_spike
import data.custos.logs.token_limit
import data.custos.logs.usage_outliers
import rego.v1

settings := {
	"windows": [3600, 7200], "spike_window": 7200, "spike_factor": 3.0, "spike_min": 20,
	"min_baseline": 3, "off_hours": [20, 6], "utc_offset_minutes": 0, "bulk_reads": 200,
	"learning_s": 86400, "outlier_z": 3.5, "outlier_ratio": 3.0, "outlier_min_requests": 5,
	"limit_share": 0.8, "limit_min": 50, "limit_hours": 12, "burst_min": 20, "burst_share": 0.5,
	"failures_min": 50, "failures_success_share": 0.01, "required_explicit": false,
}

agg(extra) := object.union({"source": "gw", "records": 1000, "settings": settings, "principals": []}, extra)

msgs(r) := {x.msg | some x in r}

win(extra) := object.union({"start": "2026-11-23T12:00:00Z", "requests": 10, "reads": 10, "errors_429": 0, "errors_5xx": 0}, extra)

# LOG001 -------------------------------------------------------------------------------------

test_required_field_missing_fires if {
	r := completeness.deny with input as agg({"fields": {
		"request_id": {"present": 990, "missing": 10, "required": true, "at": {"file": "a.jsonl", "line": 7}},
		"timestamp": {"present": 1000, "missing": 0, "required": true},
	}})
	msgs(r) == {`10 of 1000 records (1.0 %) of log source "gw" have no request_id (required for this source); first at a.jsonl:7`}
}

test_consistency_without_configuration if {
	r := completeness.deny with input as agg({"fields": {
		# A core field recorded almost always: a schema fault.
		"principal": {"present": 950, "missing": 50, "required": false, "at": {"file": "a.jsonl", "line": 3}},
		# A core field the source never records: not this rule's business without configuration.
		"request_id": {"present": 0, "missing": 1000, "required": false},
		# Not a core field.
		"cost": {"present": 990, "missing": 10, "required": false},
	}})
	{f.path | some f in r} == {["fields", "principal"]}
}

test_configured_list_replaces_consistency if {
	s := object.union(settings, {"required_explicit": true})
	r := completeness.deny with input as agg({"settings": s, "fields": {"principal": {"present": 950, "missing": 50, "required": false}}})
	count(r) == 0
}

# LOG002 -------------------------------------------------------------------------------------

test_raw_prompts_in_redacted_source if {
	r := raw_prompts.deny with input as agg({"redacted": true, "raw_prompts": {"records": 4, "at": {"file": "l.jsonl", "line": 2}}})
	msgs(r) == {`4 of 1000 records (0.4 %) of log source "gw", declared redacted, carry raw prompt or completion text; first at l.jsonl:2`}
	count(raw_prompts.deny) == 0 with input as agg({"redacted": false, "raw_prompts": {"records": 4}})
	count(raw_prompts.deny) == 0 with input as agg({"redacted": true, "raw_prompts": {"records": 0}})
}

# LOG003 -------------------------------------------------------------------------------------

test_failures_only if {
	count(failures_only.deny) == 1 with input as agg({"with_outcome": 200, "successes": 1})
	count(failures_only.deny) == 0 with input as agg({"with_outcome": 200, "successes": 3})
	count(failures_only.deny) == 0 with input as agg({"with_outcome": 49, "successes": 0})
	count(failures_only.deny) == 0 with input as agg({"with_outcome": "x"})
}

# LOG004 -------------------------------------------------------------------------------------

spiky(reads, median) := agg({"principals": [{"principal": "erin", "windows": {"7200": [win({
	"reads": reads,
	"baseline": {"reads": {"median": median, "mad": 1, "windows": 5}},
	"top_resource": {"resource": "customers", "count": reads},
})]}}]})

test_read_spike_fires_with_evidence if {
	r := read_spike.deny with input as spiky(40, 6)
	msgs(r) == {"erin read 40 times in the 2 h window from 2026-11-23T12:00:00Z: 6.67× its baseline (median 6.00, MAD 1.00 over 5 previous windows; threshold 3.00×), mostly customers (40)"}
	{f.path | some f in r} == {["principals", 0, "windows", "7200", 0]}
}

test_read_spike_quiet_at_or_below_factor_or_minimum if {
	count(read_spike.deny) == 0 with input as spiky(18, 6)
	count(read_spike.deny) == 0 with input as spiky(19, 1)
	count(read_spike.deny) == 0 with input as agg({"principals": [{"principal": "x", "windows": {"7200": [win({"reads": 500, "baseline": {"reads": null}})]}}]})
	count(read_spike.deny) == 0 with input as agg({"principals": [{"principal": "x", "windows": "bad"}, 7]})
}

# A user policy can say the same thing with its own factor: see docs/logs.md.

# LOG005 -------------------------------------------------------------------------------------

night(share, prior_off) := agg({"principals": [{"principal": "frank", "windows": {"3600": [win({
	"start": "2026-11-23T03:00:00Z", "reads": 260, "off_hours": true, "prior_windows": 9,
	"prior_off_hours_windows": prior_off, "prior_off_hours_share": share,
})]}}]})

test_off_hours_bulk if {
	r := off_hours_bulk.deny with input as night(0, 0)
	count(r) == 1
	count(off_hours_bulk.deny) == 0 with input as night(0.9, 0)
	count(off_hours_bulk.deny) == 0 with input as night(0, 5)
}

# LOG006 -------------------------------------------------------------------------------------

test_new_resource_by_service_account_only if {
	p := {"principal": "svc-etl", "service_account": true, "first": "2026-11-22T01:00:00Z", "new_resources_count": 1,
		"new_resources": [{"resource": "payroll", "first_seen": "2026-11-23T02:00:00Z"}]}
	r := new_resource.deny with input as agg({"principals": [p]})
	msgs(r) == {"service account svc-etl accessed 1 resource(s) it had not accessed in its first 24 h of activity (from 2026-11-22T01:00:00Z): payroll; first at 2026-11-23T02:00:00Z"}
	count(new_resource.deny) == 0 with input as agg({"principals": [object.union(p, {"service_account": false})]})
	count(new_resource.deny) == 0 with input as agg({"principals": [object.union(p, {"new_resources_count": 0, "new_resources": []})]})
}

# LOG007 -------------------------------------------------------------------------------------

pop(x) := agg({
	"population": {"cost_per_request": {"median": 0.01, "mad": 0.002, "principals": 8}},
	"principals": [{"principal": "key-9", "requests": 40, "cost_per_request": x}],
})

test_cost_outlier if {
	r := usage_outliers.deny with input as pop(0.2)
	count(r) == 1
	# z is high but the ratio is small: a client with longer prompts is not an outlier.
	count(usage_outliers.deny) == 0 with input as pop(0.025)
	count(usage_outliers.deny) == 0 with input as pop(0.001)
}

test_outliers_need_a_population if {
	p := agg({
		"population": {"cost_per_request": {"median": 0.01, "mad": 0.002, "principals": 3}},
		"principals": [{"principal": "k", "requests": 40, "cost_per_request": 5}],
	})
	count(usage_outliers.deny) == 0 with input as p
}

test_zero_mad_uses_the_ratio if {
	p := agg({
		"population": {"tokens_per_request": {"median": 100, "mad": 0, "principals": 6}},
		"principals": [{"principal": "k", "requests": 40, "tokens_per_request": 300}, {"principal": "j", "requests": 40, "tokens_per_request": 299}],
	})
	{f.path | some f in usage_outliers.deny with input as p} == {["principals", 0]}
}

# LOG008 -------------------------------------------------------------------------------------

limit(at, hours) := agg({"principals": [{"principal": "key-7", "requests": 100, "at_limit": at, "at_limit_hours": hours}]})

test_token_limit if {
	count(token_limit.deny) == 1 with input as limit(95, 20)
	count(token_limit.deny) == 0 with input as limit(95, 8)
	count(token_limit.deny) == 0 with input as limit(60, 20)
}

# LOG009 -------------------------------------------------------------------------------------

burst(e429, e5xx, requests) := agg({"principals": [{"principal": "key-3", "windows": {"3600": [win({
	"requests": requests, "errors_429": e429, "errors_5xx": e5xx,
	"top_error_resource": {"resource": "/v1/chat", "count": e429},
})]}}]})

test_error_burst if {
	r := error_bursts.deny with input as burst(30, 5, 40)
	msgs(r) == {"key-3 got 35 error responses (30 × 429, 5 × 5xx) of 40 requests (87.5 %) in the 1 h window from 2026-11-23T12:00:00Z, mostly on /v1/chat (30)"}
	count(error_bursts.deny) == 0 with input as burst(15, 4, 20)
	count(error_bursts.deny) == 0 with input as burst(30, 0, 100)
}
