# CFG001: a YAML/JSON key that names a credential is set to a literal value.
# Not findings: empty values, templates and variables (`${VAR}`, `$VAR`, `{{ … }}`,
# `${{ secrets.X }}`, `((var))`), placeholders (`<your-token>`, `xxxx`, `changeme`), references
# to secret stores (Vault, AWS Secrets Manager/SSM, GCP Secret Manager, Azure Key Vault,
# 1Password), file paths, and non-literal values (objects such as `secretKeyRef`, `!Ref`).
package custos.config.literal_credentials

import rego.v1

metadata := {
	"id": "CFG001",
	"title": "Literal credential in configuration",
	"severity": "high",
	"kinds": ["yaml", "json", "kubernetes", "github-actions", "gitlab-ci", "docker-compose", "cloudformation"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Move the value to a secret store (or CI secret) and reference it, e.g. ${{ secrets.NAME }}, ${ENV_VAR}, a Kubernetes secretKeyRef or a {{resolve:secretsmanager:…}} reference; rotate the exposed credential.",
	"sensitive": true,
}

credential_key := `(?i)(password|passwd|passphrase|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|secret[_\-]?key|credentials?)$`

password_key := `(?i)(password|passwd|passphrase)$`

not_secret_patterns := [
	`\$\{`, `\{\{`, `\$\(`, `^\$[A-Za-z_]`, `%\(`, `#\{`, `\(\(`,
	`^<[^>]*>$`, `^[xX*.\-_#]{3,}$`,
	`(?i)^(changeme|change[_\- ]me|replace[_\- ]?me|todo|tbd|redacted|\[redacted\]|dummy|example|placeholder|none|null|nil|true|false|yes|no)$`,
	`(?i)^your[_\- ]`,
	`(?i)^(vault:|ref\+|arn:aws:(secretsmanager|ssm|kms):|projects/[^/]+/secrets/|sm://|ssm:|secretsmanager:|@microsoft\.keyvault|azurekeyvault:|keyvault:|op://|file:|env:|secret://)`,
	`^(/|\./|\.\./|~/)\S*$`,
	# The name of a key, not its value (`secretKey: token` in an ExternalSecret).
	`(?i)^(str|string|token|password|passwd|secret|secrets|key|value|required|optional|env)$`,
]

# Kubernetes Secret objects are judged by SEC025 (with base64 decoding).
k8s_secret if {
	input.kind == "Secret"
	input.apiVersion
}

# Ciphertext (SealedSecret `encryptedData`, SOPS `ENC[...]`) is safe to commit.
encrypted(path, value) if "encryptedData" in path

encrypted(_, value) if {
	is_string(value)
	startswith(value, "ENC[")
}

literal_secret(v) if {
	is_string(v)
	s := trim_space(v)
	s != ""
	not placeholder(s)
}

literal_secret(v) if is_number(v)

placeholder(s) if {
	some p in not_secret_patterns
	regex.match(p, s)
}

deny contains {"msg": msg, "path": path} if {
	not k8s_secret
	walk(input, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	regex.match(credential_key, key)
	literal_secret(value)
	not encrypted(path, value)
	number_only_for_passwords(key, value)
	msg := sprintf("`%s` is set to a literal credential", [key])
}

number_only_for_passwords(_, v) if is_string(v)

number_only_for_passwords(key, v) if {
	is_number(v)
	regex.match(password_key, key)
}
