# LOG005: bulk reads off hours by a principal that does not work then. A window of the
# shortest configured length that lies wholly in `off_hours` (default 20:00–06:00, shifted by
# `utc_offset_minutes`) with at least `bulk_reads` reads is a finding when the principal's
# history (its previous windows within the baseline span, at least `min_baseline` of them)
# shows it is not an off-hours worker: less than half of its earlier requests fell off hours,
# and fewer than `min_baseline` of its earlier windows were off hours. Nightly jobs and night
# shifts are routine; a daytime account that reads in bulk at 03:00 is not.
package custos.logs.off_hours_bulk

import data.custos.logs.lib
import data.custos.logs.lib.short_window
import rego.v1

span(h) := sprintf("%s–%s", [lib.hour(h[0]), lib.hour(h[1])]) if {
	is_array(h)
	count(h) == 2
	is_number(h[0])
	is_number(h[1])
} else := "off hours"

metadata := {
	"id": "LOG005",
	"title": "Off-hours bulk access",
	"description": "A principal that normally works in office hours read in bulk outside them. Off-hours bulk reads by a daytime account are a common sign of data exfiltration with stolen credentials.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.16", "NIST-800-53:SI-4", "NIST-800-53:AC-2(12)", "GDPR:Art.32"],
	"remediation": "Confirm with the principal's owner whether the access was expected; restrict the account to its working hours or alert on off-hours bulk reads.",
}

deny contains {"msg": msg, "path": ["principals", i, "windows", key, j]} if {
	len := short_window
	key := sprintf("%d", [len])
	min_prior := lib.setting("min_baseline")
	bulk := lib.setting("bulk_reads")
	is_array(input.principals)
	some i, p in input.principals
	ws := p.windows[key]
	is_array(ws)
	some j, w in ws
	w.off_hours == true
	reads := w.reads
	is_number(reads)
	reads >= bulk
	prior := w.prior_windows
	is_number(prior)
	prior >= min_prior
	share := w.prior_off_hours_share
	is_number(share)
	share < 0.5
	prior_off := w.prior_off_hours_windows
	is_number(prior_off)
	prior_off < min_prior
	msg := sprintf("%s read %d times in the %s window from %s, off hours (%s at UTC offset %v min); before it, %s of its requests and %d of its %d windows were off hours", [lib.text(p.principal), reads, lib.duration(len), lib.text(w.start), span(input.settings.off_hours), object.get(input.settings, "utc_offset_minutes", 0), lib.pct(share, 1), prior_off, prior])
}
