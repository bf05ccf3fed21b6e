# S3B005: the bucket's public access block (GetPublicAccessBlock) is missing or not all four
# settings are on, so an ACL or a policy can make objects public.
package custos.s3.public_access

import rego.v1

metadata := {
	"id": "S3B005",
	"title": "S3 bucket without a full public access block",
	"description": "The bucket's GetPublicAccessBlock answer is missing, or one of BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets is off: a public ACL or bucket policy can then expose the objects. (An account-level block may still apply; custos reads the bucket's own.)",
	"severity": "high",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC6.6", "ISO27001:A.8.3", "GDPR:Art.32", "CIS-AWS:2.1.4", "NIST-800-53:AC-3"],
	"remediation": "Turn on all four settings: aws s3api put-public-access-block --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true.",
}

flags := ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"]

pab_of(doc) := p if {
	p := object.get(doc, "public_access_block", {})
	is_object(p)
} else := {}

deny contains {"msg": msg, "path": ["public_access_block", "status"]} if {
	is_object(input)
	pab := pab_of(input)
	object.get(pab, "status", "") == "none"
	msg := sprintf("s3://%v has no public access block (%v: no configuration)", [object.get(input, "bucket", "?"), object.get(pab, "call", "GetPublicAccessBlock")])
}

deny contains {"msg": msg, "path": ["public_access_block", off[0]]} if {
	is_object(input)
	pab := pab_of(input)
	object.get(pab, "status", "") == "configured"
	off := [f | some f in flags; object.get(pab, f, false) != true]
	count(off) > 0
	msg := sprintf("s3://%v public access block leaves %s off (%v)", [object.get(input, "bucket", "?"), concat(", ", off), object.get(pab, "call", "GetPublicAccessBlock")])
}
