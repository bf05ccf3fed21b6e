# K8S001: a container's `env` sets a credential-named variable to a literal `value` (instead of
# `valueFrom.secretKeyRef`), in any workload (Pod, Deployment, StatefulSet, Job, CronJob, …).
# Names and references are not values (lib/credentials.rego): `$(OTHER_VAR)`, `${VAR}`, file
# paths, Secret and key names, variable names, flags (`ALLOW_EMPTY_PASSWORD=yes`).
package custos.kubernetes.container_env_secrets

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "K8S001",
	"title": "Literal secret in a Kubernetes container env",
	"description": "A container `env` entry with a credential name and a literal `value` in a Kubernetes manifest, also in the static YAML of Helm templates. The value is committed with the manifest and visible to everyone who can read the workload; a `secretKeyRef` keeps it in a Secret with its own access control.",
	"severity": "high",
	"kinds": ["kubernetes"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.5.17", "CIS-K8S:5.4.1"],
	"remediation": "Use valueFrom.secretKeyRef (or envFrom.secretRef) pointing at a Secret managed outside the repository.",
	"sensitive": true,
}

deny contains {"msg": msg, "path": array.concat(path, ["value"])} if {
	walk(input, [path, v])
	is_object(v)
	count(path) >= 2
	path[count(path) - 2] == "env"
	credentials.literal_credential(v.name, v.value)
	msg := sprintf("env %s is set to a literal credential", [v.name])
}
