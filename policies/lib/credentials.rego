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

# Patterns named `…_lower` are matched against the lower-cased text: case folding once in
# `lower` is much cheaper than `(?i)` compiled into every pattern. The others are matched as
# written (camelCase boundaries, UPPER_SNAKE names).

# A key naming a credential: `password`, `DB_PASSWORD`, `dbPass`, `FTP_PASS`, `apiKey`,
# `client_secret`, `JWT_SIGNING_KEY`, `credentials`. (Airflow Fernet keys are the secret
# detector's SEC023, which knows their format.)
credential_key_lower := `(password|passwd|passphrase|secret|token|api[_\-.]?key|private[_\-.]?key|access[_\-.]?key|secret[_\-.]?key|(signing|jwt|hmac)[_\-.]?key|credentials?|(^|[_\-.])(pass|pwd))$`

credential_key_camel := `[a-z0-9](Pass|Pwd)$`

password_key_lower := `(password|passwd|passphrase|(^|[_\-.])(pass|pwd))$`

# Keys that match the patterns above but never hold a credential.
not_credential_key_lower := concat("|", [
	# Pagination, CSRF and tokenizer special tokens (`next_page_token`, `eos_token: </s>`).
	`(^|[_\-.])(page|next|prev|previous|continuation|pagination|cursor|resume|sync|csrf|xsrf|bos|eos|pad|unk|sep|cls|mask|special|start|end)[_\-.]?token$`,
	# Request and version tokens: AWS idempotency tokens (`ClientToken`, `client_request_token`,
	# `IdempotencyToken`) and optimistic-locking tokens (`versionToken`) identify a call or a
	# version; they authenticate nobody.
	`(^|[_\-.])(client([_\-.]?request)?|idempotency|version|concurrency)[_\-.]?token$`,
	# Flags, policies and sizes about a credential (`ALLOW_EMPTY_PASSWORD`, `min_password`).
	`(^|[_\-.])(allow|enable|enabled|disable|disabled|use|skip|generate|random|require|required|empty|rotate|reset|expire|expiry|min|max|length|policy|strength|complexity|history|hint)[_\-.]`,
	# Digests (`password_hash`, `token_sha256`).
	`(^|[_\-.])(hash|hashed|digest|checksum|fingerprint|integrity|sha[0-9]*|md5)([_\-.]|$)`,
	# Which Secret, or which key inside it, holds the credential (Helm convention):
	# `existingSecret`, `passwordSecret`, `userSecretKey`, `sshSecretKey`, `existingSecretPasswordKey`.
	`^existing[_\-.]?`,
	`(user|username|password|passwd|ssh|tls|cert|git)[_\-.]?secrets?([_\-.]?(key|name|ref))?$`,
])

# The same in camelCase (`nextPageToken`, `allowEmptyPassword`, `hashedPassword`).
not_credential_key_camel := `(Page|Next|Prev|Previous|Continuation|Pagination|Cursor|Resume|Sync|Csrf|Xsrf|Start|End)Token$|^(allow|enable|disable|use|skip|generate|random|require|rotate|reset|min|max|is|has|show|hide|hash|hashed|digest)[A-Z]`

# Values that are not secrets, as written.
not_secret_exact := concat("|", [
	# Templates and variables: `${X}`, `{{ x }}`, `$(X)`, `$X`, `%(x)s`, `#{x}`, `((x))`,
	# `<%= x %>`, `%X%`, `__X__`, `@X@`.
	`\$\{`, `\{\{`, `\$\(`, `^\$[A-Za-z_]`, `%\(`, `#\{`, `\(\(`, `<%`,
	`^%[A-Za-z_][A-Za-z0-9_]*%$`, `^__[A-Za-z0-9_]+__$`, `^@[A-Za-z0-9_]+@$`,
	# Placeholders: `<your-token>`, `xxxx`, `****`, `...`, `••••`.
	`^<[^>]*>$`, `^[xX*.\-_#•]{3,}$`,
	# Format directives filled in at run time: `%s`, `%-8v`, `%[1]s`, `{}`, `{0}`, `{db.password}`.
	`^%(\[[0-9]+\])?[\-+ #0]*[0-9]*(\.[0-9]+)?[sdvqxXfgeibouc]$`, `^\{[A-Za-z0-9_.!:]*\}$`,
	# Azure Resource Manager template expressions: `[parameters('adminPassword')]`,
	# `[variables('x')]`, `[concat(…)]`, `[reference(…).primaryKey]` (`[[` escapes a literal `[`).
	`^\[[A-Za-z][A-Za-z0-9]*\(.*\)[A-Za-z0-9_.\[\]'()]*\]$`,
	# Environment-variable names (`DB_PASSWORD`, `SCORER_API_KEY_VALUE`).
	`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`,
	# Vault paths, file paths, SRI digests, version ranges (`^5.0.0`).
	`^(secret|secrets|kv|kv2|kv-v2|vault|database|transit)/[A-Za-z0-9_.\-/]+$`,
	`^(/|\./|\.\./|~/)[^ \t\r\n]*$`,
	`^sha(256|384|512)-[A-Za-z0-9+/]+=*$`,
	`^(\^|~|>=?|<=?)?[ \t]*v?[0-9]+(\.[0-9]+){1,3}([\-+][0-9A-Za-z.\-]+)?$`,
])

# Values that are not secrets, in any case.
not_secret_lower := concat("|", [
	`^(changeme|change[_\- ]?(me|it|this)|replace[_\- ]?(me|this|it)|fill[_\- ]?(me|in)|set[_\- ]?me|todo|tbd|fixme|redacted|\[redacted\]|dummy|example|sample|placeholder|none|null|nil|undefined|true|false|yes|no|on|off|y|n|enabled|disabled)$`,
	`^(your|enter|insert|put)[_\- ]`,
	# `yourpassword`, `YourApiKeyHere`: "your" and letters only.
	`^your[a-z]{3,}$`,
	# Fill-in instructions: `update-this-value`, `paste_your_token`, `set-me-before-deploy`,
	# `token-goes-here`, `key_here`.
	`^(update|change|replace|fill|set|add|paste|provide|type|put|enter|insert)[_\- ](this|me|it|your|the|in|here|value)([_\- ][a-z_\- ]*)?$`,
	`^[a-z_\- ]*[_\- ](here|goes[_\- ]here)$`,
	# Access levels (`permissions: {id-token: write}`).
	`^(read|write|read-all|write-all|readonly|read-only|read-write|rw|ro)$`,
	# Secret-store references and ARNs.
	`^(vault:|ref\+|arn:|projects/[^/]+/secrets/|sm://|ssm:|secretsmanager:|@microsoft\.keyvault|azurekeyvault:|keyvault:|op://|file:|env:|secret://|alias/|k8s:|kubernetes:)`,
	# Digests (`sha256:…`).
	`^(sha1|sha256|sha384|sha512|md5):[0-9a-f]+$`,
	# The name of a key, not its value (`secretKey: token` in an ExternalSecret), or the key's
	# own name (or an abbreviation of it) written where the value goes (`password: pass`).
	`^(str|string|token|tokens|password|passwd|pass|pwd|passphrase|secret|secrets|key|keys|api[_\-]?key|credentials?|creds|value|required|optional|env)$`,
])

# A value that names a credential instead of being one: two words (letters only) joined by
# `_`, `-` or `.`, the second a credential word, as names of Secrets, keys and template tokens
# are written: `db-password`, `gcs-credentials`, `c_password` (a token a project template
# replaces), `login-token`. Longer phrases (`wandb-literal-key`, `dvc-literal-secret-key`) read
# as made-up values and stay findings.
credential_name_value_lower := `^[a-z]+[_\-.](password|passwd|passphrase|pass|pwd|secret|secrets|token|tokens|key|keys|apikey|credentials?|creds|jwt)$`

credential_name_value(s) if regex.match(credential_name_value_lower, lower(s))

# Filler characters drawn in runs of four or more (`XXXX`, `0000`, `****`).
filler_runs := `x{4,}|X{4,}|0{4,}|\*{4,}|#{4,}|•{4,}`

# A shape drawn with filler: the runs make up at least half the value and what is left has no
# digit (`T00000000?token=XXXXXXXXXXXXXXXXXXXXXXXX`, `sk-XXXXXXXXXXXXXXXXXXXX`).
filler_shape(s) if {
	regex.match(filler_runs, s)
	rest := regex.replace(s, filler_runs, "")
	count(rest) * 2 <= count(s)
	not regex.match(`[0-9]`, rest)
}

# Keys as generic as `secret:` or `credentials:` usually name a Secret (or a credentials entry)
# rather than hold one: a slug such as `airflow-git-secret` or `aws-credentials` there is a name.
generic_key_lower := `^(secret|secrets|credential|credentials|creds)$`

reference_name_pattern := `^[a-z0-9]+([_\-.][a-z0-9]+)+$`

# Prose (labels, descriptions, notes): several words separated by spaces.
prose_pattern := `^[A-Za-z][A-Za-z'’,.!?:;()\-]*([ \t]+[A-Za-z0-9'’,.!?:;()\-/]+)+$`

# `k` names a credential (before the exceptions below).
credential_name(k) if regex.match(credential_key_lower, lower(k))

credential_name(k) if regex.match(credential_key_camel, k)

key(k) if {
	is_string(k)
	credential_name(k)
	not not_credential_key(k)
}

not_credential_key(k) if regex.match(not_credential_key_lower, lower(k))

not_credential_key(k) if regex.match(not_credential_key_camel, k)

password_key(k) if {
	key(k)
	regex.match(password_key_lower, lower(k))
}

password_key(k) if {
	key(k)
	regex.match(credential_key_camel, k)
}

placeholder(s) if {
	is_string(s)
	regex.match(not_secret_exact, s)
}

placeholder(s) if {
	is_string(s)
	regex.match(not_secret_lower, lower(s))
}

placeholder(s) if {
	is_string(s)
	credential_name_value(s)
}

placeholder(s) if {
	is_string(s)
	filler_shape(s)
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
	regex.match(generic_key_lower, lower(k))
	is_string(v)
	regex.match(reference_name_pattern, trim_space(v))
}

# Natural-language text (a label such as "Forgot your password?"): not a credential, except
# under a passphrase key, where words are the point.
prose(k, v) if {
	is_string(v)
	regex.match(prose_pattern, trim_space(v))
	not endswith(lower(k), "passphrase")
}

# The value repeats its key (`"slack_token": "slack_token"`, `API-KEY: api_key`): a template
# or a dev file filled with names, not a credential.
repeats_key(k, v) if {
	is_string(k)
	is_string(v)
	regex.replace(lower(k), `[^a-z0-9]`, "") == regex.replace(lower(v), `[^a-z0-9]`, "")
}

# The full judgement: `k` names a credential and `v` is a literal credential value.
literal_credential(k, v) if {
	key(k)
	literal_for(k, v)
	not reference_name(k, v)
	not prose(k, v)
	not repeats_key(k, v)
}
