# Shared views of a DAG model's `calls` for the AF rules, built for files with tens of thousands
# of calls (generated DAGs): a rule does a lookup per call, never a scan of all calls per call,
# and never a regular expression or detector run per value when one pass over many values can
# rule them out first. (In the engine, a builtin call costs about as much as twenty lookups.)
# The model's `index` lists the keyword names calls use, their dict/list arguments and the
# factory calls, so rules do not scan every call to learn those.
# Import these rules one by one (`import data.custos.airflow.calls.blocks`): a reference to the
# package evaluates all of it.
package custos.airflow.calls

import rego.v1

# Every keyword name any call uses: judged once per name, not once per use.
names := {k | some k in input.index.kwargs}

# The class a call is of, for messages (`S3Hook` for `S3Hook(...).load_file(...)`): the model
# keeps only the full `resolved` path, once per call.
class_of(c) := name if {
	c.category == "hook-method"
	parts := split(c.receiver, ".")
	name := parts[count(parts) - 1]
} else := name if {
	parts := split(c.resolved, ".")
	name := parts[count(parts) - 1]
}

block_size := 256

# [offset, calls] for consecutive blocks of calls: a rule serialises or concatenates a block
# once, rules it out with one search, and looks at single calls only in blocks that matched.
blocks := [[o, array.slice(input.calls, o, o + block_size)] |
	some k in numbers.range(0, floor(count(input.calls) / block_size))
	o := k * block_size
]
