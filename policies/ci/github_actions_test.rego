package custos.ci.github_actions_test

import data.custos.ci.github_actions as ci001
import rego.v1

paths(r) := {f.path | some f in r}

test_echoed_secret if {
	r := ci001.deny with input as {"on": "push", "jobs": {"b": {"steps": [{"run": "make\necho ${{ secrets.TOKEN }} | base64"}]}}}
	paths(r) == {["jobs", "b", "steps", 0, "run"]}
}

test_echoed_env_bound_to_a_secret if {
	r := ci001.deny with input as {"on": "push", "env": {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"}, "jobs": {"b": {
		"env": {"PYPI": "${{ secrets.PYPI }}"},
		"steps": [
			{"run": "echo $NPM_TOKEN"},
			{"run": "echo \"${PYPI}\" | rev"},
			{"run": "echo $API_KEY", "env": {"API_KEY": "${{ secrets.API_KEY }}"}},
			{"run": "echo $LOG_LEVEL", "env": {"LOG_LEVEL": "debug"}},
		],
	}}}
	paths(r) == {["jobs", "b", "steps", 0, "run"], ["jobs", "b", "steps", 1, "run"], ["jobs", "b", "steps", 2, "run"]}
}

test_env_use_passes if {
	r := ci001.deny with input as {"on": "push", "jobs": {"b": {"steps": [
		{"run": "./deploy.sh", "env": {"TOKEN": "${{ secrets.TOKEN }}"}},
		{"run": "echo \"${{ secrets.DOCKER_PASSWORD }}\" | docker login -u me --password-stdin"},
		{"run": "echo \"::add-mask::${{ secrets.TOKEN }}\""},
		{"run": "echo \"${{ secrets.KEY }}\" > key.pem"},
		{"run": "echo \"TOKEN=${{ secrets.TOKEN }}\" >> $GITHUB_ENV"},
	]}}}
	count(r) == 0
}

checkout(ref) := {"uses": "actions/checkout@v4", "with": {"ref": ref}}

prt(steps) := {"on": {"pull_request_target": {"types": ["opened"]}}, "jobs": {"t": {"steps": steps}}}

uses_secret := {"run": "make publish", "env": {"TOKEN": "${{ secrets.PYPI_TOKEN }}"}}

test_pull_request_target_head_checkout_with_secrets if {
	every ref in [
		"${{ github.event.pull_request.head.sha }}",
		"${{ github.event.pull_request.head.ref }}",
		"refs/pull/${{ github.event.pull_request.number }}/merge",
		"refs/pull/${{ github.event.number }}/head",
		"${{ github.head_ref }}",
	] {
		r := ci001.deny with input as prt([checkout(ref), uses_secret])
		paths(r) == {["jobs", "t", "steps", 0]}
	}
}

test_head_checkout_in_run_steps if {
	every run in [
		"git fetch origin pull/${{ github.event.pull_request.number }}/head:pr && git checkout pr",
		"git fetch origin refs/pull/123/head",
		"git checkout ${{ github.event.pull_request.head.sha }}",
		"gh pr checkout ${{ github.event.pull_request.number }}",
		"git -C src checkout ${{ github.event.pull_request.head.sha }}",
	] {
		r := ci001.deny with input as prt([{"run": run}, uses_secret])
		paths(r) == {["jobs", "t", "steps", 0]}
	}
	r := ci001.deny with input as prt([
		{"run": "git fetch origin $HEAD_SHA && git checkout $HEAD_SHA", "env": {"HEAD_SHA": "${{ github.event.pull_request.head.sha }}"}},
		uses_secret,
	])
	paths(r) == {["jobs", "t", "steps", 0]}
}

test_reusable_workflow_with_head_and_secrets if {
	r := ci001.deny with input as {"on": "pull_request_target", "jobs": {
		"call": {"uses": "./.github/workflows/build.yml", "with": {"ref": "${{ github.event.pull_request.head.sha }}", "env": "ci"}, "secrets": "inherit"},
		"no_secrets": {"uses": "./.github/workflows/build.yml", "with": {"ref": "${{ github.event.pull_request.head.sha }}"}},
		"base": {"uses": "./.github/workflows/build.yml", "with": {"ref": "${{ github.sha }}"}, "secrets": {"T": "${{ secrets.T }}"}},
	}}
	paths(r) == {["jobs", "call", "with", "ref"]}
}

test_secrets_inherit_and_repository_checkout if {
	r := ci001.deny with input as {"on": ["pull_request_target"], "jobs": {"t": {
		"secrets": "inherit",
		"steps": [{"uses": "actions/checkout@v4", "with": {"repository": "${{ github.event.pull_request.head.repo.full_name }}"}}],
	}}}
	count(r) == 1
	r2 := ci001.deny with input as {"on": "pull_request_target", "env": {"T": "${{ secrets.T }}"}, "jobs": {"t": {"steps": [checkout("${{ github.event.pull_request.head.sha }}")]}}}
	count(r2) == 1
}

test_oidc_credentials_count_as_secrets if {
	r := ci001.deny with input as {"on": "pull_request_target", "jobs": {"t": {
		"permissions": {"id-token": "write", "contents": "read"},
		"steps": [checkout("${{ github.event.pull_request.head.sha }}"), {"uses": "google-github-actions/auth@v2"}],
	}}}
	count(r) == 1
	r2 := ci001.deny with input as {"on": "pull_request_target", "permissions": {"id-token": "write"}, "jobs": {"t": {"steps": [checkout("${{ github.event.pull_request.head.sha }}")]}}}
	count(r2) == 1
}

test_not_flagged_without_trigger_head_or_secrets if {
	# pull_request, not pull_request_target.
	r := ci001.deny with input as {"on": ["pull_request"], "jobs": {"t": {"steps": [checkout("${{ github.event.pull_request.head.sha }}"), uses_secret]}}}
	count(r) == 0
	# pull_request_target checking out the base.
	r2 := ci001.deny with input as prt([{"uses": "actions/checkout@v4"}, checkout("${{ github.event.pull_request.base.sha }}"), uses_secret])
	count(r2) == 0
	# pull_request_target checking out the head in a job without secrets (labelling, linting).
	r3 := ci001.deny with input as prt([checkout("${{ github.event.pull_request.head.sha }}"), {"run": "npm test"}])
	count(r3) == 0
	# Reading the head without checking it out.
	r5 := ci001.deny with input as prt([
		{"run": "git merge-base --is-ancestor ${{ github.event.pull_request.head.sha }} origin/main"},
		{"run": "gh api repos/o/r/commits/${{ github.event.pull_request.head.sha }}"},
		uses_secret,
	])
	count(r5) == 0
	# Another job has the secrets.
	r4 := ci001.deny with input as {"on": "pull_request_target", "jobs": {
		"test": {"steps": [checkout("${{ github.event.pull_request.head.sha }}")]},
		"label": {"steps": [{"uses": "actions/labeler@v5", "with": {"repo-token": "${{ secrets.GITHUB_TOKEN }}"}}]},
	}}
	count(r4) == 0
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, true, [], {}, [null, 1], {"steps": "x"}, {"steps": [null, 1, "run", {"run": 5}, {"uses": 3, "with": "x"}, {"with": {"ref": 1}}]}]
	every s in shapes {
		r := ci001.deny with input as {"on": s, "env": s, "jobs": s}
		is_set(r)
	}
	every s in shapes {
		r := ci001.deny with input as {
			"on": {"pull_request_target": s},
			"jobs": {"odd": s, "t": {"env": s, "steps": [s, checkout("${{ github.event.pull_request.head.sha }}"), uses_secret, {"run": "echo ${{ secrets.X }}"}]}},
		}
		paths(r) == {["jobs", "t", "steps", 1], ["jobs", "t", "steps", 3, "run"]}
	}
}
