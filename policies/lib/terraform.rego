# Total accessors for Terraform documents, shared by every Terraform rule.
#
# Valid Terraform reaches policies in many shapes: an attribute may be null (a variable whose
# default is null), an expression the module context could not resolve ("${merge(var.a, …)}",
# "${var.x}": *unknown*, never a finding on its own), a list where a map is usual (repeated
# blocks), a scalar where a block is usual, or missing. regorus makes a builtin called with the
# wrong type an error, so rules read the document only through these helpers, which are defined
# for every shape.
package custos.lib.terraform

import rego.v1

unknown(v) if {
	is_string(v)
	contains(v, "${")
}

# Each accessor with several cases is one definition with `else` branches: the engine evaluates
# every definition of a function on each call, but an `else` branch only when the ones before
# it are undefined (these accessors are called for every resource, by every rule).
obj(x) := x if is_object(x)
else := {}

# Blocks that may be one object or a list of objects; anything else is no block.
list(x) := x if is_array(x)
else := [x] if is_object(x)
else := []

str(x) := x if is_string(x)
else := ""

get(x, k, d) := object.get(x, k, d) if is_object(x)
else := d

# The object blocks named `k` in body `r` (a block repeated in one body is a list). Written
# with references rather than nested calls: rules call it for every resource, and a function
# call costs far more than a reference in the interpreter.
blocks(r, k) := [r[k]] if is_object(r[k])
else := [b | some b in r[k]; is_object(b)] if is_array(r[k])
else := []

# [index suffix, block]: `[]` for a single block, `[i]` in a list, for finding paths.
blocks_at(r, k) := [[[], r[k]]] if is_object(r[k])
else := [[[i], b] | some i, b in r[k]; is_object(b)] if is_array(r[k])
else := []

# A top-level section of the document (`resource`, `variable`, `provider`, …) as an object.
section(k) := input[k] if is_object(input[k])
else := {}

# Every instance of a resource type: [path, name, body]. A name declared twice (a list) gives
# one entry per declaration.
resources(ty) := array.concat(
	[[["resource", ty, name], name, v] | some name, v in of_type(ty); is_object(v)],
	[[["resource", ty, name, i], name, b] | some name, v in of_type(ty); is_array(v); some i, b in v; is_object(b)],
)

# Every resource instance of the document by type, as `resources` lists them: {type: [[path,
# name, body], …]} for each type the document declares. A rule evaluation builds it once; a
# rule that knows many types looks each one up (`some [path, name, r] in tf.by_type[ty]`,
# undefined for a type the document does not declare) instead of calling `resources` once per
# type it knows, as a function call costs far more than a lookup in the interpreter.
by_type[ty] := resources(ty) if some ty, _ in section("resource")

of_type(ty) := input.resource[ty] if is_object(input.resource[ty])
else := {}

# Terraform converts the strings "true"/"false" for bool arguments.
true_value(v) if v in {true, "true"}

false_value(v) if v in {false, "false"}

# A value that is known and not true; null counts (Terraform treats null as unset).
known_not_true(v) if {
	not true_value(v)
	not unknown(v)
}

# A value that names something (a key, an ARN, a reference): non-empty string.
set(v) if {
	is_string(v)
	trim_space(v) != ""
}

# Where a finding about attribute `k` of body `r` at `base` points: the attribute when it is
# written, the resource when it is missing.
at(base, r, k) := array.concat(base, [k]) if r[k] != null
else := base

# Like `at`, for attribute `k` of block `blk`: the attribute when it is written in a single
# block, else the block when it is written, else the resource.
at_block(base, r, blk, k) := array.concat(base, [blk, k]) if get(get(r, blk, null), k, null) != null
else := array.concat(base, [blk]) if get(r, blk, null) != null
else := base

# The resource name a reference names: "${aws_s3_bucket.x.id}", "${aws_s3_bucket.x[0].id}",
# "${one(aws_s3_bucket.x[*].id)}", "${var.c ? aws_s3_bucket.x[0].id : ""}" → "x" (exactly
# one resource of that type named).
referenced(ty, v) := name if {
	unknown(v)
	pattern := sprintf(`(?:^|[^.\w])%s\.([A-Za-z0-9_\-]+)`, [ty])
	names := {m[1] | some m in regex.find_all_string_submatch_n(pattern, v, -1)}
	count(names) == 1
	some name in names
}
