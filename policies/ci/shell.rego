# When does a CI script line print a secret to the job log? Shared by CI001 (GitHub Actions) and
# CI002 (GitLab CI).
#
# A line prints a reference when `echo`/`printf` has it among its own arguments (before any
# pipe, redirect or command separator) and the output reaches the log: nothing follows, a command
# separator follows, it is redirected to stderr, or it is piped into a filter that prints
# (`base64`, `xxd`, `tee`, `rev`, …) with no redirect into a file after it. Output piped into a
# consumer (`| docker login --password-stdin`, `| kubectl apply -f -`) or written to a file is
# not printed; neither is GitHub's `::add-mask::` command, which hides the value.
package custos.ci.shell

import rego.v1

# m[1]: echo's own arguments; m[2]: the rest of the line.
print_command := `^\s*(?:echo|printf)\b([^|>;&]*)(.*)$`

# `line` prints something matching the regex `ref`.
prints(line, ref) if {
	is_string(line)
	some m in regex.find_all_string_submatch_n(print_command, line, 1)
	regex.match(ref, m[1])
	not contains(m[1], "::add-mask::")
	reaches_log(trim_space(m[2]))
}

reaches_log(rest) if rest == ""

reaches_log(rest) if regex.match(`^(;|&&|\|\|)`, rest)

reaches_log(rest) if regex.match(`^(>&[12]|>\s*/dev/(stderr|stdout|tty))`, rest)

reaches_log(rest) if {
	regex.match(`^\|\s*(base64|xxd|od|hexdump|rev|tr|sed|awk|cut|tee|cat|head|tail|fold|jq|yq)\b`, rest)
	not regex.match(`>\s*[^&\s]`, rest)
}

# Every line of a script, for any value (non-strings have none).
lines(script) := split(script, "\n") if {
	is_string(script)
} else := []
