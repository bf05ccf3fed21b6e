package custos.ci.gitlab_ci_test

import data.custos.ci.gitlab_ci as ci002
import rego.v1

test_echoed_tokens if {
	r := ci002.deny with input as {"deploy": {"script": ["echo \"$CI_JOB_TOKEN\"", "printf '%s' ${DEPLOY_PASSWORD} > pw", "echo building"]}}
	count(r) == 2
}

test_use_without_printing_passes if {
	r := ci002.deny with input as {"deploy": {"script": ["docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY", "echo done"]}, "variables": {"X": "1"}}
	count(r) == 0
}
