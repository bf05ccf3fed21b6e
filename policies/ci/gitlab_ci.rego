# CI002: a GitLab CI job prints a secret-bearing variable (`echo $DEPLOY_TOKEN`,
# `echo "$CI_JOB_TOKEN" | base64`): masking only covers variables marked masked, and only exact
# values. Using a secret is not printing it (`echo "$TOKEN" | docker login --password-stdin`,
# `printf '%s' "$KEY" > key.pem`; see ci/shell.rego).
#
# GitLab accepts a script as a string, a list, or lists nested through YAML anchors, in jobs,
# hidden jobs (`.template`), `default:` and the deprecated top-level keys; every shape is read,
# and an unexpected shape in one job never hides the findings of another.
package custos.ci.gitlab_ci

import data.custos.ci.shell
import data.custos.lib.credentials
import data.custos.lib.shape
import rego.v1

metadata := {
	"id": "CI002",
	"title": "GitLab CI job prints a secret",
	"description": "A GitLab CI script that prints a secret-bearing variable, in `script` as a string, a list or nested anchor lists, in jobs, `default:` and hidden jobs. Job logs are kept and readable by everyone with access to the project, and masking does not cover every value or every way a value can be printed.",
	"severity": "high",
	"kinds": ["gitlab-ci"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.25"],
	"remediation": "Do not print credentials; pass them to the tool that needs them (environment, file variables with restricted permissions).",
}

script_keys := {"script", "before_script", "after_script"}

# `[path, text]` of every script string: in a job (or `default:`), or at the top level.
scripts contains [array.concat([job, key], sub), text] if {
	some job, j in shape.object_or_empty(input)
	is_object(j)
	some key in script_keys
	some [sub, text] in script_strings(object.get(j, key, null))
}

scripts contains [array.concat([key], sub), text] if {
	some key in script_keys
	some [sub, text] in script_strings(shape.get(input, key, null))
}

# Strings in a script value: the value itself, or items of (nested) lists.
script_strings(v) := [[sub, text] |
	walk(v, [sub, text])
	is_string(text)
	every s in sub {
		is_number(s)
	}
]

var_ref := `\$\{?([A-Za-z_][A-Za-z0-9_]*)`

# Secret-bearing variables that `line` prints.
printed_secrets(line) := {name |
	some m in regex.find_all_string_submatch_n(var_ref, line, -1)
	name := m[1]
	credentials.key(name)
	shell.prints(line, sprintf(`\$\{?%s\b`, [name]))
}

deny contains {"msg": sprintf("job %q prints $%s", [path[0], name]), "path": path} if {
	some [path, text] in scripts
	some line in shell.lines(text)
	some name in printed_secrets(line)
}
