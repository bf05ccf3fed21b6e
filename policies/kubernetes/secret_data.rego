# SEC025: a Kubernetes Secret committed with a credential in it. `data` values are base64 and
# are decoded before judging; `stringData` values are plain. A committed Secret is a finding only
# where a value looks like a credential — under a credential-named key (`password`, `api-token`)
# with a non-placeholder value, or with a credential's shape anywhere (a token format the
# secret detector knows, a private key, a URI with a password, registry auth in a docker config,
# a long random string) — one finding per offending key, pointing at that key. Names
# (`username`, `host`, `port`, `database`), `host:port`, `${VAR}` references and placeholders are
# not findings. SealedSecret / ExternalSecret objects are the remedy, not the problem. Messages
# never contain the value.
package custos.kubernetes.secret_data

import data.custos.lib.credentials
import data.custos.lib.shape
import rego.v1

metadata := {
	"id": "SEC025",
	"title": "Kubernetes Secret with committed data",
	"description": "A committed Kubernetes `Secret` whose values look like credentials (`data` decoded from base64, and `stringData`), one finding per offending key, at that key. Base64 is an encoding, not encryption: everyone with the repository has the secret; connection details (`username`, `host`, `port`), `${VAR}` references and placeholders are not findings.",
	"severity": "high",
	"kinds": ["kubernetes"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Do not commit Secret values: use Sealed Secrets, External Secrets or SOPS, or create the Secret from a secret store at deploy time; rotate the exposed values.",
	"sensitive": true,
}

# `[path prefix, Secret object]`: the document itself, or an item of a `List`.
secrets contains [[], input] if input.kind == "Secret"

secrets contains [["items", i], item] if {
	some i, item in shape.array_or_empty(input.items)
	shape.get(item, "kind", null) == "Secret"
}

# The plain value of an entry: `data` decoded from base64, `stringData` as written.
plain("data", v) := base64.decode(v) if {
	is_string(v)
	base64.is_valid(v)
}

plain("stringData", v) := v if is_string(v)

# Keys that name a non-secret part of a credential set.
non_secret_key := `^(user|username|user[_\-.]?name|login|host|hostname|host[_\-.]?name|port|database|db|dbname|db[_\-.]?name|database[_\-.]?name|schema|endpoint|url|uri|address|server|region|zone|namespace|bucket|email|e-mail|ca|ca\.crt|tls\.crt|cert|certificate|.+\.crt|.+\.pub|driver|dialect|protocol|scheme|sslmode|ssl[_\-.]?mode|type|name|id|client[_\-.]?id|app[_\-.]?id|tenant[_\-.]?id|account[_\-.]?id|project[_\-.]?id)$`

# Entries that hold the Secret's value whatever it is called: `key` (Ceph, GlusterFS), `value`,
# `secret`, `auth`, and `*.key` files (TLS and SSH keys).
value_key := `^(key|value|secret|auth)$|\.key$`

# Why the value is a credential; undefined when it is not one.
reason(k, v) := "a credential-named key with a literal value" if {
	credentials.literal_credential(k, v)
} else := "a literal value under a key that holds the Secret's value" if {
	regex.match(value_key, lower(k))
	credentials.literal(v)
	not credentials.prose(k, v)
} else := sprintf("a value the secret detector recognises (%s)", [concat(", ", rules)]) if {
	not placeholder(v)
	rules := sort({d.rule | some d in custos.secrets(v)})
	count(rules) > 0
} else := "registry credentials in a docker config" if {
	not non_secret(k)
	regex.match(`"(auth|password|identitytoken)"\s*:\s*"[^"$<{]`, v)
} else := "a long random string" if {
	not non_secret(k)
	not placeholder(v)
	random_token(v)
}

non_secret(k) if regex.match(non_secret_key, lower(k))

placeholder(v) if trim_space(v) == ""

placeholder(v) if credentials.placeholder(trim_space(v))

# A token-like string: 20+ characters from a token alphabet, mixing letters and digits, with
# many distinct characters (names, hostnames and words do not qualify).
random_token(v) if {
	s := trim_space(v)
	count(s) >= 20
	count(s) <= 4096
	regex.match(`^[A-Za-z0-9+/=_\-.~]+$`, s)
	regex.match(`[0-9]`, s)
	regex.match(`[A-Za-z]`, s)
	not regex.match(`^[a-z0-9]+([.\-][a-z0-9]+)+(:[0-9]+)?$`, s)
	count({c | some c in split(s, "")}) >= 12
	mixed_or_hex(s)
}

mixed_or_hex(s) if {
	regex.match(`[a-z]`, s)
	regex.match(`[A-Z]`, s)
}

mixed_or_hex(s) if regex.match(`^[0-9a-fA-F]{32,}$`, s)

deny contains {"msg": msg, "path": array.concat(prefix, [section, k])} if {
	some [prefix, s] in secrets
	some section in ["data", "stringData"]
	some k, raw in shape.object_or_empty(s[section])
	v := plain(section, raw)
	why := reason(k, v)
	name := shape.string_or(shape.get(shape.get(s, "metadata", {}), "name", ""), "")
	msg := sprintf("Secret %q commits a credential under %q in %s: %s", [name, k, section, why])
}
