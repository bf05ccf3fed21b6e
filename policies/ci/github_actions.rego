# CI001: a GitHub Actions step prints a secret (`echo ${{ secrets.X }}`): masking is best-effort
# and transformed values (base64, substrings) are not masked.
# CI002: a `pull_request_target` workflow checks out the pull request's head: untrusted code then
# runs with the base repository's secrets and write token.
package custos.ci.github_actions

import rego.v1

metadata := {
	"id": "CI001",
	"title": "GitHub Actions workflow leaks secrets or runs untrusted code with them",
	"severity": "high",
	"kinds": ["github-actions"],
	"controls": ["SOC2:CC6.1", "SOC2:CC8.1", "ISO27001:A.8.25"],
	"remediation": "Never print secrets; pass them through env and use them directly. In pull_request_target workflows, do not check out the PR head (use pull_request, or check out the base and treat PR content as data).",
}

print_secret := `(?m)^\s*(echo|printf|cat)\b.*\$\{\{\s*secrets\.`

deny contains {"msg": sprintf("step prints a secret in job %q", [job]), "path": ["jobs", job, "steps", i, "run"]} if {
	some job, j in input.jobs
	some i, step in j.steps
	is_string(step.run)
	regex.match(print_secret, step.run)
}

triggers contains input.on if is_string(input.on)

triggers contains t if {
	is_array(input.on)
	some t in input.on
}

triggers contains t if {
	is_object(input.on)
	some t, _ in input.on
}

head_ref := `github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref`

deny contains {"msg": sprintf("pull_request_target job %q checks out the pull request head", [job]), "path": ["jobs", job, "steps", i]} if {
	"pull_request_target" in triggers
	some job, j in input.jobs
	some i, step in j.steps
	startswith(object.get(step, "uses", ""), "actions/checkout")
	regex.match(head_ref, object.get(object.get(step, "with", {}), "ref", ""))
}
