# CFG001: a YAML/JSON key that names a credential is set to a literal value.
#
# Three shapes carry a key and its value: a mapping entry (`password: x`, compose `environment:`
# as a map, GitHub `env:`), a long-form variable (`DB_PASSWORD: {value: x}` in GitLab, or
# `{name: DB_PASSWORD, value: x}` in ECS task definitions and Helm values), and a `KEY=value`
# string in an `environment`/`env`/`variables` list (docker-compose list form).
#
# Not findings (see lib/credentials.rego): empty values, templates and variables, placeholders,
# secret-store references, names of Secrets and of keys inside them, file paths, flags, access
# levels, non-literal values (objects such as `secretKeyRef`, `!Ref`), ciphertext, digests under
# hash-named keys, dependency maps and lockfiles (keys there are package names), connection-form
# labels and placeholders.
package custos.config.literal_credentials

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "CFG001",
	"title": "Literal credential in configuration",
	"description": "A key naming a credential set to a literal in configuration: mappings, compose `KEY=value` lists, GitLab long-form variables and `{name, value}` pairs. A committed credential is readable by everyone with access to the repository and stays in its history; templates, placeholders, UPPER_SNAKE references, secret names and references, Vault/SSM paths, booleans, `id-token: write`, pagination tokens, digests, lock files, ciphertext and file paths are not findings, and a value in a specific secret format is reported by its detector rule instead.",
	"severity": "high",
	"kinds": ["yaml", "json", "kubernetes", "helm-template", "github-actions", "gitlab-ci", "docker-compose", "cloudformation", "ini"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Move the value to a secret store (or CI secret) and reference it, e.g. ${{ secrets.NAME }}, ${ENV_VAR}, a Kubernetes secretKeyRef or a {{resolve:secretsmanager:…}} reference; rotate the exposed credential.",
	"sensitive": true,
}

# A Kubernetes manifest: Secret objects are judged by SEC025 (with base64 decoding) and container
# `env` entries by K8S001.
k8s_manifest if {
	is_string(input.apiVersion)
	is_string(input.kind)
}

k8s_secret if {
	k8s_manifest
	input.kind == "Secret"
}

# Lockfiles (package-lock.json, pnpm-lock.yaml, composer.lock, Pipfile.lock): keys are package
# names, values are versions and digests.
lockfile if input.lockfileVersion

lockfile if input["content-hash"]

lockfile if {
	is_object(input._meta)
	input._meta["pipfile-spec"]
}

skip_document if k8s_secret

skip_document if lockfile

# A Secret inside a `List` manifest (also judged by SEC025).
listed_secret(path) if {
	count(path) > 2
	path[0] == "items"
	input.items[path[1]].kind == "Secret"
}

# Parts of a document whose keys are not configuration: dependency maps (package names),
# digest maps, and ciphertext (SealedSecret `encryptedData`).
# Connection-form metadata (Airflow `ui-field-behaviour`: `relabeling` gives each field its UI
# label, `placeholders` the hint shown in the empty field) describes fields, it fills none.
skipped_ancestor := `^((dev|peer|optional|bundled?)?dependencies|requires|overrides|resolutions|packages|hash|hashes|digests?|checksums?|sha[0-9]*|md5|integrity|fingerprints?|encrypteddata|relabeling|placeholders|ui[_\-]field[_\-]behaviou?r)$`

skipped(path) if listed_secret(path)

skipped(path) if {
	some p in path
	is_string(p)
	regex.match(skipped_ancestor, lower(p))
}

# SOPS ciphertext is safe to commit.
encrypted(value) if {
	is_string(value)
	startswith(trim_space(value), "ENC[")
}

# Lists of `KEY=value` strings.
env_list_keys := {"environment", "env", "variables", "envs", "env_vars", "envVars", "extraEnv"}

env_assignment := `^\s*(?:-\s+)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=(.*)$`

# `'…'` or `"…"` around a whole value, as compose and shells write them.
unquote(s) := substring(t, 1, count(t) - 2) if {
	t := trim_space(s)
	count(t) >= 2
	regex.match(`^(?:'.*'|".*")$`, t)
} else := trim_space(s)

# The document's nodes below its root, each with the key (or index) it is found under:
# [path, key, node], from one walk. The shapes below read these instead of walking the
# document once each, and the credential patterns run once per distinct key
# (`credential_keys`) rather than once per node: a JSON array of 100,000 objects has a
# handful of distinct keys.
nodes := [[path, path[count(path) - 1], node] |
	walk(input, [path, node])
	count(path) > 0
]

credential_keys := {k | some k in {key | some [_, key, _] in nodes}; is_string(k); credentials.key(k)}

# The nodes under a credential-named key.
credential_nodes := [n | some n in nodes; n[1] in credential_keys]

# Each distinct (key, scalar value) pair under a credential-named key, judged once: a
# generated file repeats the same pairs thousands of times.
literal_entries := {pair |
	some pair in {[key, node] | some [_, key, node] in credential_nodes; not is_object(node); not is_array(node)}
	credentials.literal_credential(pair[0], pair[1])
}

# A mapping entry: the key names the credential.
deny contains {"msg": sprintf("`%s` is set to a literal credential", [key]), "path": path} if {
	not skip_document
	some [path, key, node] in credential_nodes
	[key, node] in literal_entries
	not skipped(path)
	not encrypted(node)
}

# `DB_PASSWORD: {value: x, description: …}` (GitLab long-form variables) …
deny contains {"msg": sprintf("`%s` is set to a literal credential (long-form variable)", [key]), "path": array.concat(path, ["value"])} if {
	not skip_document
	some [path, key, node] in credential_nodes
	is_object(node)
	value := node.value
	credentials.literal_credential(key, value)
	not skipped(path)
	not encrypted(value)
}

# … and `{name: DB_PASSWORD, value: x}` outside Kubernetes `env` (K8S001 covers those), the
# document itself included.
deny contains {"msg": sprintf("`%s` is set to a literal credential (name/value pair)", [key]), "path": array.concat(path, ["value"])} if {
	not skip_document
	some [path, node] in value_objects
	key := node.name
	is_string(key)
	not k8s_env_entry(path)
	value := node.value
	credentials.literal_credential(key, value)
	not skipped(path)
	not encrypted(value)
}

# Objects with a `value` member: [path, node].
value_objects := [[path, node] |
	some [path, _, node] in array.concat([[[], null, input]], nodes)
	is_object(node)
	node.value != null
]

# docker-compose `environment: ["DB_PASSWORD=x"]`.
deny contains {"msg": sprintf("`%s` is set to a literal credential (in an environment list)", [m[1]]), "path": array.concat(path, [i])} if {
	not skip_document
	some [path, key, node] in nodes
	key in env_list_keys
	is_array(node)
	some i, item in node
	is_string(item)
	some m in regex.find_all_string_submatch_n(env_assignment, item, 1)
	value := unquote(m[2])
	credentials.literal_credential(m[1], value)
	not skipped(path)
	not encrypted(value)
}

k8s_env_entry(path) if {
	k8s_manifest
	count(path) > 1
	path[count(path) - 2] == "env"
}
