# CI002: a GitLab CI job prints a secret-bearing variable (`echo $DEPLOY_TOKEN`,
# `echo "$CI_JOB_TOKEN"`): masking only covers variables marked masked, and only exact values.
package custos.ci.gitlab_ci

import rego.v1

metadata := {
	"id": "CI002",
	"title": "GitLab CI job prints a secret",
	"severity": "high",
	"kinds": ["gitlab-ci"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.25"],
	"remediation": "Do not print credentials; pass them to the tool that needs them (environment, file variables with restricted permissions).",
}

script_keys := {"script", "before_script", "after_script"}

secret_var := `(?i)^\s*(echo|printf)\b.*\$\{?([A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)[A-Z0-9_]*)\}?`

deny contains {"msg": sprintf("job %q prints $%s", [job, m[2]]), "path": [job, key, i]} if {
	some job, j in input
	is_object(j)
	some key in script_keys
	some i, line in j[key]
	is_string(line)
	some m in regex.find_all_string_submatch_n(secret_var, line, 1)
}
