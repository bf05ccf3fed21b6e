# TF012: a KMS key without automatic rotation.
# - AWS `aws_kms_key`: `enable_key_rotation` not true, for symmetric encryption keys (asymmetric
#   and HMAC keys, and keys in a custom key store, cannot rotate automatically);
# - Google `google_kms_crypto_key`: no `rotation_period`, or one longer than 90 days, for
#   `ENCRYPT_DECRYPT` keys.
# Values that are unresolved expressions are not judged.
package custos.terraform.kms_rotation

import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF012",
	"title": "KMS key without automatic rotation",
	"description": "A KMS key without automatic rotation: AWS symmetric keys without `enable_key_rotation`, and Google keys without a `rotation_period` of 90 days or less. Rotation limits how much data one key version protects and how long a leaked key stays useful, as key-management controls require.",
	"severity": "medium",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "NIST-800-53:SC-12", "CIS-AWS:3.6", "CIS-GCP:1.10", "PCI-DSS:3.6.4"],
	"remediation": "AWS: set enable_key_rotation = true (optionally rotation_period_in_days). Google: set rotation_period to 90 days or less (\"7776000s\").",
}

# The key spec / usage cannot be judged, or the key cannot rotate automatically.
not_rotatable(k) if {
	spec := tf.get(k, "customer_master_key_spec", tf.get(k, "key_spec", "SYMMETRIC_DEFAULT"))
	spec != "SYMMETRIC_DEFAULT"
}

not_rotatable(k) if tf.get(k, "key_usage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"

not_rotatable(k) if tf.set(tf.get(k, "custom_key_store_id", null))

deny contains {"msg": msg, "path": tf.at(path, k, "enable_key_rotation")} if {
	some [path, name, k] in tf.resources("aws_kms_key")
	not not_rotatable(k)
	tf.known_not_true(tf.get(k, "enable_key_rotation", false))
	msg := sprintf("aws_kms_key.%s does not rotate automatically (enable_key_rotation is not true)", [name])
}

ninety_days := 7776000

seconds(p) := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`^([0-9]+(?:\.[0-9]+)?)s$`, p, 1)[0]
}

google_keys contains [path, name, k] if {
	some [path, name, k] in tf.resources("google_kms_crypto_key")
	tf.get(k, "purpose", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
}

deny contains {"msg": msg, "path": path} if {
	some [path, name, k] in google_keys
	tf.get(k, "rotation_period", null) == null
	msg := sprintf("google_kms_crypto_key.%s has no rotation_period", [name])
}

deny contains {"msg": msg, "path": array.concat(path, ["rotation_period"])} if {
	some [path, name, k] in google_keys
	period := tf.get(k, "rotation_period", null)
	is_string(period)
	seconds(period) > ninety_days
	msg := sprintf("google_kms_crypto_key.%s rotates less often than every 90 days (%s)", [name, period])
}
