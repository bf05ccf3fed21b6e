# TF001: a provider block sets a credential to a literal value.
# AWS `access_key`/`secret_key`/`token`, AzureRM/AzureAD `client_secret` and certificate
# passwords, Google `access_token` and inline service-account JSON in `credentials`.
# References (`var.x`, `file(...)`) are not literals; a `credentials` path is not a secret.
package custos.terraform.provider_credentials

import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF001",
	"title": "Hardcoded credential in Terraform provider",
	"description": "A literal credential in a Terraform `provider` block: AWS access keys and session tokens, Azure client secrets, a Google service-account key inline or an access token. Provider credentials usually grant broad access to a cloud account, and a literal in a `.tf` file is committed with the code and kept in its history.",
	"severity": "critical",
	"kinds": ["terraform"],
	"reads": ["provider"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Remove the literal and let the provider read credentials from the environment, a shared credentials file, workload identity or a secrets manager; rotate the exposed credential.",
	"sensitive": true,
}

secret_attrs := {
	"aws": {"access_key", "secret_key", "token"},
	"azurerm": {"client_secret", "client_certificate_password"},
	"azuread": {"client_secret", "client_certificate_password"},
	"google": {"credentials", "access_token"},
	"google-beta": {"credentials", "access_token"},
}

# [provider name, path to its block, block] — a provider declared several times is an array.
providers contains [name, ["provider", name], body] if {
	some name, body in tf.section("provider")
	is_object(body)
}

providers contains [name, ["provider", name, i], body] if {
	some name, list in tf.section("provider")
	is_array(list)
	some i, body in list
	is_object(body)
}

literal(v) if {
	is_string(v)
	trim_space(v) != ""
	not contains(v, "${")
}

secret_value(attr, v) if {
	attr != "credentials"
	literal(v)
}

# `credentials` may be a file path; only inline key material is a secret.
secret_value("credentials", v) if {
	literal(v)
	contains(v, "private_key")
}

deny contains {"msg": msg, "path": array.concat(base, [attr])} if {
	some [name, base, body] in providers
	some attr in object.get(secret_attrs, name, set())
	secret_value(attr, tf.get(body, attr, null))
	msg := sprintf("provider %q sets `%s` to a literal value", [name, attr])
}
