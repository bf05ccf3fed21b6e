package custos.ci.github_actions_test

import data.custos.ci.github_actions as ci001
import rego.v1

test_echoed_secret if {
	r := ci001.deny with input as {"on": "push", "jobs": {"b": {"steps": [{"run": "make\necho ${{ secrets.TOKEN }} | base64"}]}}}
	count(r) == 1
}

test_env_use_passes if {
	r := ci001.deny with input as {"on": "push", "jobs": {"b": {"steps": [{"run": "./deploy.sh", "env": {"TOKEN": "${{ secrets.TOKEN }}"}}]}}}
	count(r) == 0
}

test_pull_request_target_head_checkout if {
	r := ci001.deny with input as {"on": {"pull_request_target": {}}, "jobs": {"t": {"steps": [{"uses": "actions/checkout@v4", "with": {"ref": "${{ github.event.pull_request.head.sha }}"}}]}}}
	count(r) == 1
	r2 := ci001.deny with input as {"on": ["pull_request"], "jobs": {"t": {"steps": [{"uses": "actions/checkout@v4", "with": {"ref": "${{ github.event.pull_request.head.sha }}"}}]}}}
	count(r2) == 0
}
