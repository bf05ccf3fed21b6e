# Shared judgement of credential-named keys and literal secret values, for every rule that
# looks for credentials in structured input (configs, manifests, CI files, DAG models, …).
#
# A finding needs a key that names a credential AND a value that is one. Names and references
# are not values: the name of a Secret or of a key inside it (`existingSecret`,
# `passwordSecretKey: db-password`), connection ids, variable names (`DB_PASSWORD`), Vault/SSM
# paths and ARNs, templates and placeholders, flags (`ALLOW_EMPTY_PASSWORD: yes`), access levels
# (`id-token: write`), pagination and tokenizer tokens, and digests under hash-named keys.
# Every function here is total: any JSON value is accepted and none raises an error.
package custos.lib.credentials

import rego.v1

# A key naming a credential: `password`, `DB_PASSWORD`, `dbPass`, `FTP_PASS`, `apiKey`,
# `client_secret`, `AIRFLOW__CORE__FERNET_KEY`, `credentials`.
credential_key_pattern := `(?i:password|passwd|passphrase|secret|token|api[_\-.]?key|private[_\-.]?key|access[_\-.]?key|secret[_\-.]?key|(?:fernet|signing|jwt|hmac)[_\-.]?key|credentials?|(?:^|[_\-.])(?:pass|pwd))$|[a-z0-9](?:Pass|Pwd)$`

password_key_pattern := `(?i:password|passwd|passphrase|(?:^|[_\-.])(?:pass|pwd))$|[a-z0-9](?:Pass|Pwd)$`

# Keys that match the pattern above but never hold a credential.
not_credential_key_patterns := [
	# Pagination, CSRF and tokenizer special tokens (`nextPageToken`, `eos_token: </s>`).
	`(?i)(^|[_\-.])(page|next|prev|previous|continuation|pagination|cursor|resume|sync|csrf|xsrf|bos|eos|pad|unk|sep|cls|mask|special|start|end)[_\-.]?token$`,
	`(Page|Next|Prev|Previous|Continuation|Pagination|Cursor|Resume|Sync|Csrf|Xsrf|Start|End)Token$`,
	# Flags, policies and sizes about a credential (`ALLOW_EMPTY_PASSWORD`, `min_password`).
	`(?i)(^|[_\-.])(allow|enable|enabled|disable|disabled|use|skip|generate|random|require|required|empty|rotate|reset|expire|expiry|min|max|length|policy|strength|complexity|history|hint)[_\-.]`,
	`^(allow|enable|disable|use|skip|generate|random|require|rotate|reset|min|max|is|has|show|hide)[A-Z]`,
	# Digests (`password_hash`, `hashedPassword`, `token_sha256`).
	`(?i)(^|[_\-.])(hash|hashed|digest|checksum|fingerprint|integrity|sha\d*|md5)([_\-.]|$)`,
	`^(hash|hashed|digest)[A-Z]`,
	# Which Secret, or which key inside it, holds the credential (Helm convention):
	# `existingSecret`, `passwordSecret`, `userSecretKey`, `sshSecretKey`, `existingSecretPasswordKey`.
	`(?i)^existing[_\-.]?`,
	`(?i)(user|username|password|passwd|ssh|tls|cert|git)[_\-.]?secrets?([_\-.]?(key|name|ref))?$`,
]

not_secret_patterns := [
	# Templates and variables: `${X}`, `{{ x }}`, `$(X)`, `$X`, `%(x)s`, `#{x}`, `((x))`,
	# `<%= x %>`, `%X%`, `__X__`, `@X@`.
	`\$\{`, `\{\{`, `\$\(`, `^\$[A-Za-z_]`, `%\(`, `#\{`, `\(\(`, `<%`,
	`^%[A-Za-z_][A-Za-z0-9_]*%$`, `^__[A-Za-z0-9_]+__$`, `^@[A-Za-z0-9_]+@$`,
	# Placeholders: `<your-token>`, `xxxx`, `****`, `...`, `••••`.
	`^<[^>]*>$`, `^[xX*.\-_#•]{3,}$`,
	`(?i)^(changeme|change[_\- ]?(me|it|this)|replace[_\- ]?(me|this|it)|fill[_\- ]?(me|in)|set[_\- ]?me|todo|tbd|fixme|redacted|\[redacted\]|dummy|example|sample|placeholder|none|null|nil|undefined|true|false|yes|no|on|off|y|n|enabled|disabled)$`,
	`(?i)^(your|enter|insert|put)[_\- ]`,
	# Access levels (`permissions: {id-token: write}`).
	`(?i)^(read|write|read-all|write-all|readonly|read-only|read-write|rw|ro)$`,
	# Environment-variable names (`DB_PASSWORD`, `GOOGLE_API_KEY_VAL`).
	`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`,
	# Secret-store references and ARNs.
	`(?i)^(vault:|ref\+|arn:|projects/[^/]+/secrets/|sm://|ssm:|secretsmanager:|@microsoft\.keyvault|azurekeyvault:|keyvault:|op://|file:|env:|secret://|alias/|k8s:|kubernetes:)`,
	`^(secret|secrets|kv|kv2|kv-v2|vault|database|transit)/[A-Za-z0-9_.\-/]+$`,
	# File paths.
	`^(/|\./|\.\./|~/)\S*$`,
	# Digests and version ranges (`sha256:…`, `^5.0.0`).
	`(?i)^(sha1|sha256|sha384|sha512|md5):[0-9a-f]+$`, `^sha(256|384|512)-[A-Za-z0-9+/]+=*$`,
	`^(\^|~|>=?|<=?)?\s*v?\d+(\.\d+){1,3}([\-+][0-9A-Za-z.\-]+)?$`,
	# The name of a key, not its value (`secretKey: token` in an ExternalSecret).
	`(?i)^(str|string|token|password|passwd|secret|secrets|key|value|required|optional|env)$`,
]

# Keys as generic as `secret:` or `credentials:` usually name a Secret (or a credentials entry)
# rather than hold one: a slug such as `airflow-git-secret` or `aws-credentials` there is a name.
generic_key_pattern := `(?i)^(secret|secrets|credential|credentials|creds)$`

reference_name_pattern := `^[a-z0-9]+([_\-.][a-z0-9]+)+$`

# Prose (labels, descriptions, notes): several words separated by spaces.
prose_pattern := `^[A-Za-z][A-Za-z'’,.!?:;()\-]*(\s+[A-Za-z0-9'’,.!?:;()\-/]+)+$`

key(k) if {
	is_string(k)
	regex.match(credential_key_pattern, k)
	not not_credential_key(k)
}

not_credential_key(k) if {
	some p in not_credential_key_patterns
	regex.match(p, k)
}

password_key(k) if {
	key(k)
	regex.match(password_key_pattern, k)
}

placeholder(s) if {
	is_string(s)
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
	v > 9
}

# A name or reference under a generic key, not a secret value.
reference_name(k, v) if {
	regex.match(generic_key_pattern, k)
	is_string(v)
	regex.match(reference_name_pattern, trim_space(v))
}

# Natural-language text (a label such as "Forgot your password?"): not a credential, except
# under a passphrase key, where words are the point.
prose(k, v) if {
	is_string(v)
	regex.match(prose_pattern, trim_space(v))
	not regex.match(`(?i)passphrase$`, k)
}

# The full judgement: `k` names a credential and `v` is a literal credential value.
literal_credential(k, v) if {
	key(k)
	literal_for(k, v)
	not reference_name(k, v)
	not prose(k, v)
}
