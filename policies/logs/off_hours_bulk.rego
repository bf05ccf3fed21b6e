# LOG005: bulk reads off hours by a principal that does not work then. A window of the
# shortest configured length that lies wholly in `off_hours` (default 20:00–06:00, shifted by
# `utc_offset_minutes`) with at least `bulk_reads` reads is a finding when the principal's
# history (its previous windows within the baseline span, at least `min_baseline` of them)
# shows it is not an off-hours worker: less than half of its earlier requests fell off hours,
# and fewer than `min_baseline` of its earlier windows were off hours. Nightly jobs and night
# shifts are routine; a daytime account that reads in bulk at 03:00 is not.
package custos.logs.off_hours_bulk

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG005",
	"title": "Off-hours bulk access",
	"description": "A principal that normally works in office hours read in bulk outside them. Off-hours bulk reads by a daytime account are a common sign of data exfiltration with stolen credentials.",
	"severity": "medium",
	"kinds": ["log-aggregate"],
	"controls": ["SOC2:CC7.2", "ISO27001:A.8.16", "NIST-800-53:SI-4", "NIST-800-53:AC-2(12)", "GDPR:Art.32"],
	"remediation": "Confirm with the principal's owner whether the access was expected; restrict the account to its working hours or alert on off-hours bulk reads.",
}

deny contains {"msg": msg, "path": ["principals", i, "windows", sprintf("%d", [len]), j]} if {
	len := lib.short_window
	some [i, p] in lib.principals
	some [j, w] in lib.windows(p, len)
	w.off_hours == true
	is_number(w.reads)
	w.reads >= input.settings.bulk_reads
	w.prior_windows >= input.settings.min_baseline
	is_number(w.prior_off_hours_share)
	w.prior_off_hours_share < 0.5
	w.prior_off_hours_windows < input.settings.min_baseline
	hours := input.settings.off_hours
	msg := sprintf("%s read %d times in the %s window from %s, off hours (%s–%s at UTC offset %d min); before it, %s of its requests and %d of its %d windows were off hours", [p.principal, w.reads, lib.duration(len), w.start, lib.hour(hours[0]), lib.hour(hours[1]), input.settings.utc_offset_minutes, lib.pct(w.prior_off_hours_share, 1), w.prior_off_hours_windows, w.prior_windows])
}
