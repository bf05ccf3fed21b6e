# Total accessors for documents whose parts may have any JSON type.
#
# A YAML/JSON document is untrusted: any value may be null, a scalar where a list is expected,
# a list where a map is expected, a number where a string is expected. regorus raises an error
# (not undefined, as OPA would) when a builtin receives the wrong type or `some x in v` iterates
# a scalar, and an error drops every result of the rule on that document — one odd job would
# hide the findings of every other job. Rules read their input through these helpers, which
# never error: the wrong shape yields an empty collection or the default.
package custos.lib.shape

import rego.v1

# `x` when it is an object, else `{}`.
object_or_empty(x) := x if {
	is_object(x)
} else := {}

# `x` when it is an array, else `[]`.
array_or_empty(x) := x if {
	is_array(x)
} else := []

# A value GitLab/GitHub accept as one item or a list of them (`script: make` or
# `script: [make]`): always a list; null and objects give `[]`.
one_or_many(x) := x if {
	is_array(x)
} else := [x] if {
	not is_object(x)
	not is_null(x)
} else := []

# `object.get` that accepts any first argument.
get(x, key, fallback) := object.get(x, key, fallback) if {
	is_object(x)
} else := fallback

# `x` when it is a string, else `fallback`.
string_or(x, fallback) := x if {
	is_string(x)
} else := fallback

# Keys and members of an object or array (`[key, value]` pairs); nothing for scalars.
entries(x) := [[k, v] | some k, v in x] if {
	is_object(x)
} else := [[i, v] | some i, v in x] if {
	is_array(x)
} else := []
