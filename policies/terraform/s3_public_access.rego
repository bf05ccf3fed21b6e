# TF004: object storage that can be made public.
# - S3: a public canned ACL, or no public access block (bucket or account level) with all four
#   settings on.
# - Azure storage accounts: blob containers may be made public (`allow_nested_items_to_be_public`
#   not false, or the older `allow_blob_public_access = true`), or the account is reachable
#   from every network (`public_network_access_enabled` not false and no network rule that
#   denies by default).
# - GCS buckets: fine-grained ACLs (`uniform_bucket_level_access` not true), or public access
#   prevention not `enforced` (unless an organization policy in the document enforces
#   `storage.publicAccessPrevention`); and IAM bindings, members or ACL entries that grant
#   `allUsers` / `allAuthenticatedUsers` access to a bucket.
# Values that are unresolved expressions are not judged.
package custos.terraform.s3_public_access

import data.custos.lib.s3
import data.custos.lib.s3.buckets
import data.custos.lib.terraform as tf
import data.custos.lib.terraform.by_type
import rego.v1

metadata := {
	"id": "TF004",
	"title": "Object storage not protected from public access",
	"description": "Object storage open to the public: an S3 bucket with a public ACL or without a full public access block (bucket or account level); an Azure storage account whose containers may be made public or that every network can reach; a GCS bucket with fine-grained ACLs, without enforced public access prevention, or granted to `allUsers`/`allAuthenticatedUsers`. Publicly readable buckets are among the most common causes of cloud data leaks.",
	"severity": "high",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.6", "ISO27001:A.8.3", "GDPR:Art.32", "CIS-AWS:2.1.4", "CIS-Azure:3.7", "CIS-GCP:5.1", "CIS-GCP:5.2", "NIST-800-53:AC-3"],
	"remediation": "S3: add an aws_s3_bucket_public_access_block (or aws_s3_account_public_access_block) with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true, and use a private ACL. Azure: set allow_nested_items_to_be_public = false and public_network_access_enabled = false (or network_rules with default_action = \"Deny\"). GCS: set uniform_bucket_level_access = true and public_access_prevention = \"enforced\".",
}

public_acls := {"public-read", "public-read-write", "authenticated-read"}

pab_settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains {"msg": msg, "path": array.concat(path, ["acl"])} if {
	some [path, name, b] in buckets
	acl := b.acl
	acl in public_acls
	msg := sprintf("%s has the public ACL %q", [s3.label(name, b), acl])
}

has_pab(b) if count(tf.blocks(b, "public_access_block")) > 0

has_pab(b) if tf.unknown(b.public_access_block)

deny contains {"msg": msg, "path": path} if {
	some [path, name, b] in buckets
	not has_pab(b)
	msg := sprintf("%s has no public access block", [s3.label(name, b)])
}

deny contains {"msg": msg, "path": array.concat(path, ["public_access_block", off[0]])} if {
	some [path, name, b] in buckets
	some pab in tf.blocks(b, "public_access_block")
	off := [s | some s in pab_settings; tf.known_not_true(object.get(pab, s, false))]
	count(off) > 0
	msg := sprintf("%s's public access block leaves %s off", [s3.label(name, b), concat(", ", off)])
}

# Azure storage accounts.
accounts := tf.resources("azurerm_storage_account")

deny contains {"msg": msg, "path": tf.at(path, r, "allow_blob_public_access")} if {
	some [path, name, r] in accounts
	tf.true_value(tf.get(r, "allow_blob_public_access", null))
	msg := sprintf("azurerm_storage_account.%s allows public access to blobs (allow_blob_public_access)", [name])
}

deny contains {"msg": msg, "path": tf.at(path, r, "allow_nested_items_to_be_public")} if {
	some [path, name, r] in accounts
	tf.get(r, "allow_blob_public_access", null) == null
	v := tf.get(r, "allow_nested_items_to_be_public", null)
	not tf.false_value(v)
	not tf.unknown(v)
	msg := sprintf("azurerm_storage_account.%s lets containers be made public (allow_nested_items_to_be_public is not false)", [name])
}

denies_by_default(r) if {
	some n in tf.blocks(r, "network_rules")
	action := tf.get(n, "default_action", null)
	action == "Deny"
}

denies_by_default(r) if {
	some n in tf.blocks(r, "network_rules")
	tf.unknown(tf.get(n, "default_action", null))
}

# azurerm_storage_account_network_rules resources in the document, by the account they name.
deny_rules contains name if {
	some [_, _, n] in by_type["azurerm_storage_account_network_rules"]
	tf.get(n, "default_action", null) in {"Deny"}
	some attr in ["storage_account_id", "storage_account_name"]
	name := tf.referenced("azurerm_storage_account", tf.get(n, attr, null))
}

deny contains {"msg": msg, "path": tf.at(path, r, "public_network_access_enabled")} if {
	some [path, name, r] in accounts
	v := tf.get(r, "public_network_access_enabled", null)
	not tf.false_value(v)
	not tf.unknown(v)
	not denies_by_default(r)
	not name in deny_rules
	msg := sprintf("azurerm_storage_account.%s is reachable from all networks (public network access on, no network rule denying by default)", [name])
}

# GCS buckets.
gcs := tf.resources("google_storage_bucket")

deny contains {"msg": msg, "path": tf.at(path, r, "uniform_bucket_level_access")} if {
	some [path, name, r] in gcs
	tf.known_not_true(tf.get(r, "uniform_bucket_level_access", false))
	msg := sprintf("google_storage_bucket.%s uses fine-grained ACLs (uniform_bucket_level_access is not true), which can make objects public", [name])
}

policy_types := ["google_project_organization_policy", "google_folder_organization_policy", "google_organization_policy", "google_org_policy_policy"]

prevention_enforced_by_org if {
	some ty in policy_types
	some [_, _, p] in by_type[ty]
	some attr in ["constraint", "name"]
	contains(tf.str(tf.get(p, attr, null)), "storage.publicAccessPrevention")
}

deny contains {"msg": msg, "path": tf.at(path, r, "public_access_prevention")} if {
	some [path, name, r] in gcs
	v := tf.get(r, "public_access_prevention", null)
	v != "enforced"
	not tf.unknown(v)
	not prevention_enforced_by_org
	msg := sprintf("google_storage_bucket.%s does not enforce public access prevention", [name])
}

public_principals := ["allUsers", "allAuthenticatedUsers"]

grant_attrs := {
	"google_storage_bucket_iam_binding": "members",
	"google_storage_bucket_iam_member": "member",
	"google_storage_bucket_acl": "role_entity",
	"google_storage_bucket_access_control": "entity",
	"google_storage_default_object_access_control": "entity",
	"google_storage_object_access_control": "entity",
}

deny contains {"msg": msg, "path": array.concat(path, [attr])} if {
	some ty, attr in grant_attrs
	some [path, name, r] in by_type[ty]
	v := tf.get(r, attr, null)
	some m in array.concat(tf.list(v), [x | is_string(v); x := v])
	some p in public_principals
	contains(tf.str(m), p)
	msg := sprintf("%s.%s grants %s access to a bucket", [ty, name, p])
}
