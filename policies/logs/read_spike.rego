# LOG004: a principal reads far more than its own baseline. For each window of
# `spike_window` (default 2 h) the aggregate holds the principal's reads and a trailing
# baseline: the median and MAD of its reads in its previous active windows of that length
# within `baseline` (default 7 days), when there are at least `min_baseline` of them. More than
# `spike_factor` (default 3.0, i.e. 300 %) times the median, and at least `spike_min` reads, is
# a spike. A zero median counts as one read.
package custos.logs.read_spike

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG004",
	"title": "Read spike above the principal's baseline",
	"description": "A principal read many times more in one window than its own trailing baseline (median of its previous windows): a compromised credential, a scraping job or an insider exporting data looks like this. The finding gives the observed count, the baseline and the window.",
	"severity": "high",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC7.2", "SOC2:CC7.3", "ISO27001:A.8.16", "NIST-800-53:SI-4", "NIST-800-53:AU-6", "GDPR:Art.32", "NIST-AI-RMF:MANAGE 4.1"],
	"remediation": "Review what the principal read in the window and why; revoke or rotate its credentials if the access was not expected, and alert on it.",
}

deny contains {"msg": msg, "path": ["principals", i, "windows", key, j]} if {
	len := lib.setting("spike_window")
	factor := lib.setting("spike_factor")
	least := lib.setting("spike_min")
	key := sprintf("%d", [len])
	is_array(input.principals)
	some i, p in input.principals
	ws := p.windows[key]
	is_array(ws)
	some j, w in ws
	reads := w.reads
	is_number(reads)
	reads >= least
	b := w.baseline.reads
	median := b.median
	is_number(median)
	base := max([median, 1])
	reads > factor * base
	top := object.get(w, "top_resource", null)
	msg := sprintf("%s read %d times in the %s window from %s: %s× its baseline (median %s, MAD %s over %v previous windows; threshold %s×)%s", [lib.text(p.principal), reads, lib.duration(len), lib.text(w.start), lib.num(reads / base), lib.num(median), lib.num(object.get(b, "mad", null)), object.get(b, "windows", "?"), lib.num(factor), most(top)])
}

most(t) := sprintf(", mostly %s (%v)", [t.resource, object.get(t, "count", "?")]) if {
	is_object(t)
	is_string(t.resource)
} else := ""
