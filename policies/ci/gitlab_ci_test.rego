package custos.ci.gitlab_ci_test

import data.custos.ci.gitlab_ci as ci002
import rego.v1

paths(r) := {f.path | some f in r}

test_echoed_tokens if {
	r := ci002.deny with input as {"deploy": {"script": [
		"echo \"$CI_JOB_TOKEN\"",
		"printf '%s' ${DEPLOY_PASSWORD} | base64",
		"echo building",
	]}}
	paths(r) == {["deploy", "script", 0], ["deploy", "script", 1]}
}

test_use_without_printing_passes if {
	r := ci002.deny with input as {
		"deploy": {"script": [
			"docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY",
			"echo \"$CI_REGISTRY_PASSWORD\" | docker login -u $CI_REGISTRY_USER --password-stdin $CI_REGISTRY",
			"printf '%s' \"$SSH_PRIVATE_KEY\" > ~/.ssh/id_rsa",
			"echo \"$TOKEN_URL\"",
			"echo $PASSWORD_FILE",
			"echo done",
		]},
		"variables": {"X": "1"},
	}
	count(r) == 0
}

# `script:` as a string must not stop the rule for the whole file (it used to raise an error).
test_script_as_a_string_and_other_jobs if {
	r := ci002.deny with input as parse_config("yaml", `
lint:
  script: make lint
build:
  script: echo "$API_TOKEN"
deploy:
  before_script:
    - |
      set -e
      echo "key: ${DEPLOY_API_KEY}"
  script:
    - ./deploy.sh
`)
	paths(r) == {["build", "script"], ["deploy", "before_script", 0]}
}

# Lists nested through YAML anchors, `default:`, hidden jobs and top-level keys.
test_nested_lists_defaults_and_templates if {
	r := ci002.deny with input as parse_config("yaml", `
.setup: &setup
  - echo "$CI_JOB_TOKEN"
default:
  after_script:
    - echo $DEPLOY_TOKEN
before_script:
  - echo ${NPM_TOKEN}
.template:
  script:
    - echo $REGISTRY_PASSWORD
job:
  script:
    - *setup
    - make
`)
	# The anchored list itself is not a script until a job uses it.
	paths(r) == {
		["default", "after_script", 0],
		["before_script", 0],
		[".template", "script", 0],
		["job", "script", 0, 0],
	}
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, true, [], {}, [null, 1, {}], [[[["echo $NPM_TOKEN"]]]], {"script": {"a": "echo $NPM_TOKEN"}}]
	every s in shapes {
		r := ci002.deny with input as {"odd": s, "job": {"script": s, "before_script": s}, "good": {"script": ["echo $NPM_TOKEN"]}}
		["good", "script", 0] in paths(r)
	}
	every s in shapes {
		r := ci002.deny with input as s
		is_set(r)
	}
}
