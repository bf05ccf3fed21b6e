# SEC025: a Kubernetes Secret committed with its data. `data` values are base64 and are
# decoded before judging; `stringData` values are plain. Empty values and placeholders are
# not findings; SealedSecret / ExternalSecret objects are the remedy, not the problem.
package custos.kubernetes.secret_data

import rego.v1

metadata := {
	"id": "SEC025",
	"title": "Kubernetes Secret with committed data",
	"severity": "high",
	"kinds": ["kubernetes"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "NIST-800-53:IA-5"],
	"remediation": "Do not commit Secret values: use Sealed Secrets, External Secrets or SOPS, or create the Secret from a secret store at deploy time; rotate the exposed values.",
	"sensitive": true,
}

placeholder(v) if regex.match(`^\s*$|^(\$\{.*\}|\{\{.*\}\}|<[^>]*>|x+|\*+|changeme|REPLACE_?ME)$`, v)

deny contains {"msg": msg, "path": ["data", k]} if {
	input.kind == "Secret"
	some k, v in input.data
	is_string(v)
	base64.is_valid(v)
	decoded := base64.decode(v)
	not placeholder(decoded)
	msg := sprintf("Secret %q commits a value for %q (%d bytes once decoded)", [object.get(input, ["metadata", "name"], ""), k, count(decoded)])
}

deny contains {"msg": msg, "path": ["stringData", k]} if {
	input.kind == "Secret"
	some k, v in input.stringData
	is_string(v)
	not placeholder(v)
	msg := sprintf("Secret %q commits a value for %q in stringData", [object.get(input, ["metadata", "name"], ""), k])
}
