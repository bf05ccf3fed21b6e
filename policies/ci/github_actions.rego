# CI001, two checks on GitHub Actions workflows:
#
# - A step prints a secret: `echo ${{ secrets.X }}`, or `echo $X` where X is bound to a secret in
#   `env:` (workflow, job or step). Masking is best-effort and transformed values (base64,
#   substrings) are not masked. Using a secret is not printing it (`| docker login
#   --password-stdin`, `> key.pem`, `::add-mask::`; see ci/shell.rego).
# - A `pull_request_target` workflow checks out the pull request's head in a job that has
#   secrets: untrusted code then runs with the base repository's secrets and write token. The
#   head is `github.event.pull_request.head.sha|ref|repo.full_name`, `github.head_ref`, the merge
#   commit, or `refs/pull/<n>/head|merge`, given to `actions/checkout` (`with.ref` or
#   `with.repository`) or to `git fetch/checkout/switch/…` or `gh pr checkout` in a run step
#   (directly or through an `env:` variable), or passed as an input to a reusable workflow. A job has secrets when anything in it (or the
#   workflow `env:`) reads `${{ secrets.* }}`, it passes `secrets: inherit`/`secrets:` to a
#   reusable workflow, or it can mint cloud credentials (`permissions: {id-token: write}`).
package custos.ci.github_actions

import data.custos.ci.shell
import data.custos.lib.shape
import rego.v1

metadata := {
	"id": "CI001",
	"title": "GitHub Actions workflow leaks secrets or runs untrusted code with them",
	"description": "A GitHub Actions step that prints `${{ secrets.* }}` (piping it into a consumer such as `--password-stdin`, writing it to a file and `::add-mask::` are not printing), or a `pull_request_target` workflow that checks out the pull request's head (`actions/checkout` with its ref, `refs/pull/…`, `git fetch`/`git checkout`, `gh pr checkout`) in a job that has secrets. Workflow logs are widely readable, and code from a fork that runs with the repository's secrets can steal them.",
	"severity": "high",
	"kinds": ["github-actions"],
	"controls": ["SOC2:CC6.1", "SOC2:CC8.1", "ISO27001:A.8.25"],
	"remediation": "Never print secrets; pass them through env and use them directly. In pull_request_target workflows, do not check out the PR head (use pull_request, or check out the base and treat PR content as data).",
}

jobs := shape.object_or_empty(shape.get(input, "jobs", {}))

steps(j) := shape.array_or_empty(shape.get(j, "steps", []))

secret_expr := `\$\{\{[^}]*\bsecrets\.`

env_name := `^[A-Za-z_][A-Za-z0-9_]*$`

# `env:` maps that apply to a step: the workflow's, the job's and the step's own.
envs(j, step) := [
	shape.object_or_empty(shape.get(input, "env", {})),
	shape.object_or_empty(shape.get(j, "env", {})),
	shape.object_or_empty(shape.get(step, "env", {})),
]

# Names of environment variables bound to `pattern` for a step.
bound(j, step, pattern) := {name |
	some env in envs(j, step)
	some name, v in env
	is_string(v)
	regex.match(env_name, name)
	regex.match(pattern, v)
}

# How a shell line refers to environment variable `name`.
env_ref(name) := sprintf(`\$\{?%s\b|\$env:%s\b|\$\{\{\s*env\.%s\s*\}\}`, [name, name, name])

prints_secret(line, _, _) if shell.prints(line, secret_expr)

prints_secret(line, j, step) if {
	some name in bound(j, step, secret_expr)
	shell.prints(line, env_ref(name))
}

deny contains {"msg": sprintf("step prints a secret in job %q", [job]), "path": ["jobs", job, "steps", i, "run"]} if {
	some job, j in jobs
	some i, step in steps(j)
	some line in shell.lines(shape.get(step, "run", null))
	prints_secret(line, j, step)
}

triggers contains t if {
	t := shape.get(input, "on", null)
	is_string(t)
}

triggers contains t if {
	some t in shape.array_or_empty(shape.get(input, "on", []))
}

triggers contains t if {
	some t, _ in shape.object_or_empty(shape.get(input, "on", {}))
}

pr_head := `github\.event\.pull_request\.head\.(sha|ref|repo\.full_name)|github\.head_ref|github\.event\.pull_request\.merge_commit_sha|refs/pull/|\bpull/(\$\{\{|[0-9]+/)`

# `git [options] fetch|checkout|…` (not `git merge-base`, `git log`).
git_checkout := `\bgit\b[^\n|;&]*?\s(fetch|checkout|switch|pull|reset|merge|worktree)(\s|$)`

uses_secrets(j) if {
	walk(j, [_, v])
	is_string(v)
	regex.match(secret_expr, v)
}

uses_secrets(_) if {
	walk(shape.get(input, "env", {}), [_, v])
	is_string(v)
	regex.match(secret_expr, v)
}

uses_secrets(j) if shape.get(j, "secrets", null) == "inherit"

# OIDC: the job can mint cloud credentials.
uses_secrets(j) if shape.get(shape.get(j, "permissions", {}), "id-token", null) == "write"

uses_secrets(_) if shape.get(shape.get(input, "permissions", {}), "id-token", null) == "write"

uses_secrets(j) if shape.get(j, "permissions", null) == "write-all"

uses_secrets(j) if count(shape.object_or_empty(shape.get(j, "secrets", {}))) > 0

# `actions/checkout` of the head (`with.ref` / `with.repository`).
checks_out_head(_, step) if {
	uses := shape.get(step, "uses", null)
	is_string(uses)
	startswith(uses, "actions/checkout")
	w := shape.get(step, "with", {})
	some k in ["ref", "repository"]
	regex.match(pr_head, shape.string_or(shape.get(w, k, null), ""))
}

# `git fetch origin pull/${{ … }}/head`, `git checkout ${{ github.event.pull_request.head.sha }}`,
# `gh pr checkout`.
checks_out_head(_, step) if {
	some line in shell.lines(shape.get(step, "run", null))
	regex.match(git_checkout, line)
	regex.match(pr_head, line)
}

checks_out_head(_, step) if {
	some line in shell.lines(shape.get(step, "run", null))
	regex.match(`\bgh\s+pr\s+checkout\b`, line)
}

# The same through an environment variable: `env: {HEAD: …head.sha}` and `git checkout $HEAD`.
checks_out_head(j, step) if {
	some line in shell.lines(shape.get(step, "run", null))
	regex.match(git_checkout, line)
	some name in bound(j, step, pr_head)
	regex.match(env_ref(name), line)
}

# A reusable workflow called with the head as an input and with secrets: the callee checks it out.
deny contains {"msg": sprintf("pull_request_target job %q passes the pull request head and secrets to a reusable workflow", [job]), "path": ["jobs", job, "with", k]} if {
	"pull_request_target" in triggers
	some job, j in jobs
	is_string(shape.get(j, "uses", null))
	uses_secrets(j)
	some k, v in shape.object_or_empty(shape.get(j, "with", {}))
	regex.match(pr_head, shape.string_or(v, ""))
}

deny contains {"msg": sprintf("pull_request_target job %q checks out the pull request head and has secrets", [job]), "path": ["jobs", job, "steps", i]} if {
	"pull_request_target" in triggers
	some job, j in jobs
	uses_secrets(j)
	some i, step in steps(j)
	checks_out_head(j, step)
}
