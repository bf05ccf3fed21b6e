# Shared helpers of the access-log audit rules (docs/logs.md). Input: a `log-aggregate`
# document, one per log source. Every helper is total: a missing or mistyped field makes the
# helper undefined, never an error.
package custos.logs.lib

import rego.v1

# The principals of the source, with their index (for `path`).
principals contains [i, p] if {
	is_array(input.principals)
	some i, p in input.principals
	is_object(p)
}

# The windows of length `len` (seconds) of principal `p`, with their index.
#
# The bundled rules do not call these two helpers in their loops: they walk
# `input.principals[i].windows[key]` in the rule body, cheapest and most selective test first.
# In the engine a helper call per window cost up to six times the rest of a rule
# (docs/performance.md); the helpers stay for policies that prefer them.
windows(p, len) := [[j, w] |
	is_object(p)
	all := object.get(p, "windows", {})
	is_object(all)
	ws := object.get(all, sprintf("%d", [len]), [])
	is_array(ws)
	some j, w in ws
	is_object(w)
]

# A numeric setting of the aggregate (`input.settings`); undefined unless it is a number.
setting(name) := v if {
	is_object(input.settings)
	v := input.settings[name]
	is_number(v)
}

# `obj[key]` when `obj` is an object; undefined otherwise.
field(obj, key) := obj[key] if is_object(obj)

# A number from an object; undefined unless it is one.
number(obj, key) := v if {
	is_object(obj)
	v := obj[key]
	is_number(v)
}

# The shortest configured window.
short_window := w if {
	is_object(input.settings)
	ws := input.settings.windows
	is_array(ws)
	count(ws) > 0
	every x in ws {
		is_number(x)
	}
	w := min(ws)
}

# `4 h`, `30 min`, `90 s`.
duration(s) := sprintf("%d h", [s / 3600]) if {
	is_number(s)
	s % 3600 == 0
} else := sprintf("%d min", [s / 60]) if {
	is_number(s)
	s % 60 == 0
} else := sprintf("%d s", [s]) if is_number(s)

# `12.5 %` of `a` in `b`.
pct(a, b) := sprintf("%s %%", [fixed((100 * a) / b, 1)]) if {
	is_number(a)
	is_number(b)
	b > 0
}

# A number with 2 decimals, or 4 below 1 (costs per request are fractions of a cent).
num(x) := fixed(x, 2) if {
	is_number(x)
	abs(x) >= 1
}

num(x) := fixed(x, 4) if {
	is_number(x)
	abs(x) < 1
}

num(x) := "n/a" if not is_number(x)

# `x` with exactly `d` decimals (1, 2 or 4), whether the engine holds it as an integer or not.
fixed(x, d) := s if {
	scale := {1: 10, 2: 100, 4: 10000}[d]
	n := round(abs(x) * scale)
	whole := floor(n / scale)
	frac := n - (whole * scale)
	sign := {true: "-", false: ""}[x < 0]
	s := sprintf({1: "%s%d.%01d", 2: "%s%d.%02d", 4: "%s%d.%04d"}[d], [sign, whole, frac])
}

# `file:line` of an evidence location.
where(at) := sprintf("%s:%d", [at.file, at.line]) if {
	is_object(at)
	is_string(at.file)
	is_number(at.line)
} else := "?"

# A string from the document, for messages (`?` when it is not one).
text(x) := x if is_string(x)

text(x) := "?" if not is_string(x)

hour(h) := sprintf("%02d:00", [h]) if is_number(h)
