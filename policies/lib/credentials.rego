# Shared judgement of credential-named keys and literal secret values, for every rule that
# looks for credentials in structured input (configs, DAG models, …).
package custos.lib.credentials

import rego.v1

credential_key_pattern := `(?i)(password|passwd|passphrase|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|secret[_\-]?key|credentials?)$`

password_key_pattern := `(?i)(password|passwd|passphrase)$`

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

key(k) if {
	is_string(k)
	regex.match(credential_key_pattern, k)
}

password_key(k) if {
	is_string(k)
	regex.match(password_key_pattern, k)
}

placeholder(s) if {
	some p in not_secret_patterns
	regex.match(p, s)
}

# A literal that could be a secret: a non-empty, non-placeholder string.
literal(v) if {
	is_string(v)
	s := trim_space(v)
	s != ""
	not placeholder(s)
}

# Numbers count only for password-named keys (`password: 123456`, not `max_tokens: 256`).
literal_for(k, v) if literal(v)

literal_for(k, v) if {
	is_number(v)
	password_key(k)
}
