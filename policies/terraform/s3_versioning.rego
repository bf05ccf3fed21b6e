# TF005: object storage without versioning: an overwrite or delete loses the data for good.
# S3 buckets (inline `versioning` or the v4 `aws_s3_bucket_versioning`, merged by the module
# context; a bucket created with Object Lock has versioning turned on by S3), Azure storage accounts (`blob_properties { versioning_enabled }`; FileStorage and
# hierarchical-namespace accounts, which do not support blob versioning, are exempt) and GCS
# buckets (`versioning { enabled }`). Unresolved expressions are not judged.
package custos.terraform.s3_versioning

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import rego.v1

metadata := {
	"id": "TF005",
	"title": "Object storage without versioning",
	"description": "Object storage without versioning: S3 buckets, Azure blob storage and GCS buckets. Without versions an overwrite or a deletion — by mistake, a faulty job or ransomware — cannot be undone, and earlier states of a dataset cannot be shown.",
	"severity": "medium",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:A1.2", "ISO27001:A.8.13", "NIST-800-53:CP-9"],
	"remediation": "S3: add an aws_s3_bucket_versioning resource with status = \"Enabled\" (or versioning { enabled = true } on provider v3). Azure: blob_properties { versioning_enabled = true }. GCS: versioning { enabled = true }.",
}

enabled(b) if {
	some v in tf.blocks(b, "versioning")
	v.enabled in {true, "true"}
}

enabled(b) if {
	some v in tf.blocks(b, "versioning")
	v.status == "Enabled"
}

# S3 turns versioning on for a bucket created with Object Lock.
enabled(b) if b.object_lock_enabled in {true, "true"}

enabled(b) if {
	some c in tf.blocks(b, "object_lock_configuration")
	c.object_lock_enabled == "Enabled"
}

undetermined(b) if tf.unknown(b.versioning)

undetermined(b) if {
	some v in tf.blocks(b, "versioning")
	some k in ["enabled", "status"]
	tf.unknown(v[k])
}

# The versioning setting that is off, when one is written; the block, or the resource.
where(path, b) := array.concat(path, array.concat(["versioning"], i)) if {
	[[i, v]] := tf.blocks_at(b, "versioning")
	tf.get(v, "enabled", null) == null
}

where(path, b) := array.concat(path, array.concat(array.concat(["versioning"], i), ["enabled"])) if {
	[[i, v]] := tf.blocks_at(b, "versioning")
	tf.get(v, "enabled", null) != null
}

where(path, b) := path if count(tf.blocks_at(b, "versioning")) != 1

deny contains {"msg": msg, "path": where(path, b)} if {
	some [path, name, b] in buckets
	not enabled(b)
	not undetermined(b)
	msg := sprintf("%s does not have versioning enabled", [s3.label(name, b)])
}

# Azure storage accounts.
blob_versioning_unsupported(r) if tf.get(r, "account_kind", null) == "FileStorage"

blob_versioning_unsupported(r) if tf.true_value(tf.get(r, "is_hns_enabled", null))

deny contains {"msg": msg, "path": p} if {
	some [path, name, r] in tf.resources("azurerm_storage_account")
	not blob_versioning_unsupported(r)
	props := tf.blocks(r, "blob_properties")
	values := [v | some bp in props; v := tf.get(bp, "versioning_enabled", null)]
	not any_true(values)
	not any_unknown(values)
	not tf.unknown(tf.get(r, "blob_properties", null))
	p := azure_where(path, r, values)
	msg := sprintf("azurerm_storage_account.%s does not have blob versioning enabled", [name])
}

any_true(values) if {
	some v in values
	tf.true_value(v)
}

any_unknown(values) if {
	some v in values
	tf.unknown(v)
}

azure_where(path, r, values) := array.concat(path, ["blob_properties", "versioning_enabled"]) if {
	is_object(tf.get(r, "blob_properties", null))
	values[0] != null
}

azure_where(path, r, values) := path if {
	not is_object(tf.get(r, "blob_properties", null))
}

azure_where(path, r, values) := array.concat(path, ["blob_properties"]) if {
	is_object(tf.get(r, "blob_properties", null))
	values[0] == null
}

# GCS buckets.
deny contains {"msg": msg, "path": p} if {
	some [path, name, r] in tf.resources("google_storage_bucket")
	not enabled(r)
	not undetermined(r)
	p := where(path, r)
	msg := sprintf("google_storage_bucket.%s does not have versioning enabled", [name])
}
