# Shared views of a DAG model's `calls` for the AF rules, built for files with tens of thousands
# of calls (generated DAGs): a rule does a lookup per call, never a scan of all calls per call,
# and never a regular expression or detector run per value when one pass over many values can
# rule them out first. (In the engine, a builtin call costs about as much as twenty lookups.)
package custos.airflow.calls

import rego.v1

# Every keyword name any call uses: judged once per name, not once per use.
names := {k | some c in input.calls; some k, _ in c.kwargs}

# [call index, keyword] of every keyword whose value is a dict or list (`env={...}`).
nested := {[i, k] | some i, c in input.calls; some k, v in c.kwargs; v[_]}

# Indices of the calls of the project's own DAG factories.
factories := [i | some i, c in input.calls; c.category == "factory"]

block_size := 256

# [offset, calls] for consecutive blocks of calls: a rule serialises or concatenates a block
# once, rules it out with one search, and looks at single calls only in blocks that matched.
blocks := [[o, array.slice(input.calls, o, o + block_size)] |
	some k in numbers.range(0, floor(count(input.calls) / block_size))
	o := k * block_size
]
