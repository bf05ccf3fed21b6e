# CFG001: a YAML/JSON key that names a credential is set to a literal value.
# Not findings: empty values, templates and variables (`${VAR}`, `$VAR`, `{{ … }}`,
# `${{ secrets.X }}`, `((var))`), placeholders (`<your-token>`, `xxxx`, `changeme`), references
# to secret stores (Vault, AWS Secrets Manager/SSM, GCP Secret Manager, Azure Key Vault,
# 1Password), file paths, and non-literal values (objects such as `secretKeyRef`, `!Ref`).
package custos.config.literal_credentials

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "CFG001",
	"title": "Literal credential in configuration",
	"severity": "high",
	"kinds": ["yaml", "json", "kubernetes", "github-actions", "gitlab-ci", "docker-compose", "cloudformation", "ini"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Move the value to a secret store (or CI secret) and reference it, e.g. ${{ secrets.NAME }}, ${ENV_VAR}, a Kubernetes secretKeyRef or a {{resolve:secretsmanager:…}} reference; rotate the exposed credential.",
	"sensitive": true,
}

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

deny contains {"msg": msg, "path": path} if {
	not k8s_secret
	walk(input, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	credentials.key(key)
	credentials.literal_for(key, value)
	not encrypted(path, value)
	msg := sprintf("`%s` is set to a literal credential", [key])
}
