# TF004: an S3 bucket can be made public: a public canned ACL, or no public access block (bucket
# or account level) with all four settings on.
package custos.terraform.s3_public_access

import data.custos.lib.s3
import rego.v1

metadata := {
	"id": "TF004",
	"title": "S3 bucket not protected from public access",
	"severity": "high",
	"kinds": ["terraform"],
	"controls": ["SOC2:CC6.6", "ISO27001:A.8.3", "GDPR:Art.32", "CIS-AWS:2.1.4"],
	"remediation": "Add an aws_s3_bucket_public_access_block (or aws_s3_account_public_access_block) with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true, and use a private ACL.",
}

public_acls := {"public-read", "public-read-write", "authenticated-read"}

pab_settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some [name, b] in s3.buckets
	b.acl in public_acls
	msg := sprintf("%s has the public ACL %q", [s3.label(name, b), b.acl])
}

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some [name, b] in s3.buckets
	not b.public_access_block
	msg := sprintf("%s has no public access block", [s3.label(name, b)])
}

deny contains {"msg": msg, "path": ["resource", "aws_s3_bucket", name]} if {
	some [name, b] in s3.buckets
	pab := b.public_access_block
	is_object(pab)
	off := [s | some s in pab_settings; object.get(pab, s, false) != true]
	count(off) > 0
	msg := sprintf("%s's public access block leaves %s off", [s3.label(name, b), concat(", ", off)])
}
