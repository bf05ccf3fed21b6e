package custos.s3.posture_test

import data.custos.s3.access_logging as s3b008
import data.custos.s3.default_encryption as s3b001
import data.custos.s3.evidence_unknown as s3b000
import data.custos.s3.kms as s3b002
import data.custos.s3.object_lock as s3b004
import data.custos.s3.public_access as s3b005
import data.custos.s3.public_policy as s3b006
import data.custos.s3.tls_only as s3b007
import data.custos.s3.versioning as s3b003
import rego.v1

# A bucket that passes every posture rule.
good := {
	"bucket": "acme-data",
	"audit_log": false,
	"encryption": {"status": "enabled", "call": "GetBucketEncryption", "algorithm": "aws:kms", "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/k1", "bucket_key": true},
	"versioning": {"status": "Enabled", "mfa_delete": "Disabled", "call": "GetBucketVersioning"},
	"object_lock": {"status": "enabled", "call": "GetObjectLockConfiguration", "mode": "COMPLIANCE", "days": 365, "years": null},
	"public_access_block": {"status": "configured", "call": "GetPublicAccessBlock", "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true},
	"policy": {"status": "present", "call": "GetBucketPolicy", "statements": 1, "tls_only": true, "public_statements": []},
	"logging": {"status": "enabled", "call": "GetBucketLogging", "target_bucket": "acme-logs", "target_prefix": "data/"},
	"unknown": [],
}

# object.union merges objects deeply: replace the section whole.
with_section(k, v) := object.union(object.remove(good, [k]), {k: v})

unknown(call) := {"status": "unknown", "call": call, "error": "s3://acme-data: not implemented by this server (NotImplemented: HTTP 501)"}

all_deny(doc) := {r |
	some r in array.concat(array.concat(array.concat([x | some x in s3b001.deny with input as doc], [x | some x in s3b002.deny with input as doc]), array.concat([x | some x in s3b003.deny with input as doc], [x | some x in s3b004.deny with input as doc])), array.concat(array.concat([x | some x in s3b005.deny with input as doc], [x | some x in s3b006.deny with input as doc]), array.concat([x | some x in s3b007.deny with input as doc], [x | some x in s3b008.deny with input as doc])))
}

test_a_good_bucket_passes_everything if {
	count(all_deny(good)) == 0
	count(s3b000.warn) == 0 with input as good
	count(all_deny(object.union(good, {"audit_log": true}))) == 0
}

test_unknown_evidence_is_never_compliant_silently if {
	sections := ["encryption", "versioning", "object_lock", "public_access_block", "policy", "logging"]
	every s in sections {
		doc := with_section(s, unknown("X"))
		# The rule that reads the section does not pass or fail it …
		count(all_deny(object.union(doc, {"audit_log": true}))) == 0
		# … and S3B000 says it is unknown, naming the bucket and the reason.
		w := s3b000.warn with input as doc
		count(w) == 1
		some f in w
		contains(f.msg, "s3://acme-data")
		contains(f.msg, "HTTP 501")
		f.path == [s, "status"]
	}
}

test_default_encryption if {
	r := s3b001.deny with input as with_section("encryption", {"status": "none", "call": "GetBucketEncryption"})
	count(r) == 1
	some f in r
	contains(f.msg, "s3://acme-data has no default encryption")
}

test_kms if {
	count(s3b002.deny) == 1 with input as with_section("encryption", {"status": "enabled", "algorithm": "AES256", "kms_key": null})
	count(s3b002.deny) == 1 with input as with_section("encryption", {"status": "enabled", "algorithm": "aws:kms", "kms_key": "arn:aws:kms:eu-west-1:1:alias/aws/s3"})
	count(s3b002.deny) == 1 with input as with_section("encryption", {"status": "enabled", "algorithm": "aws:kms", "kms_key": null})
	count(s3b002.deny) == 0 with input as with_section("encryption", {"status": "enabled", "algorithm": "aws:kms:dsse", "kms_key": "arn:aws:kms:eu-west-1:1:key/x"})
	# No encryption at all is S3B001's finding, not this one.
	count(s3b002.deny) == 0 with input as with_section("encryption", {"status": "none"})
}

test_versioning if {
	count(s3b003.deny) == 1 with input as with_section("versioning", {"status": "Off", "mfa_delete": "Disabled"})
	count(s3b003.deny) == 1 with input as with_section("versioning", {"status": "Suspended", "mfa_delete": "Disabled"})
	count(s3b003.deny) == 0 with input as good
}

lock_off := with_section("object_lock", {"status": "none", "mode": null})

test_object_lock_only_for_audit_buckets if {
	count(s3b004.deny) == 0 with input as lock_off
	count(s3b004.deny) == 1 with input as object.union(lock_off, {"audit_log": true})
	count(s3b004.deny) == 1 with input as object.union(lock_off, {"bucket": "acme-cloudtrail"})
}

test_object_lock_for_buckets_listed_in_data if {
	count(s3b004.deny) == 1 with input as lock_off with data.audit_buckets as ["acme-data"]
}

test_object_lock_without_retention if {
	doc := object.union(with_section("object_lock", {"status": "enabled", "mode": null}), {"audit_log": true})
	r := s3b004.deny with input as doc
	some f in r
	contains(f.msg, "no default retention")
}

test_object_lock_governance_mode if {
	doc := object.union(with_section("object_lock", {"status": "enabled", "mode": "GOVERNANCE", "days": 30}), {"audit_log": true})
	r := s3b004.deny with input as doc
	some f in r
	contains(f.msg, "GOVERNANCE mode (30 days)")
}

test_public_access_block if {
	count(s3b005.deny) == 1 with input as with_section("public_access_block", {"status": "none"})
	r := s3b005.deny with input as with_section("public_access_block", {"status": "configured", "block_public_acls": true, "ignore_public_acls": false, "block_public_policy": true, "restrict_public_buckets": false})
	count(r) == 1
	some f in r
	contains(f.msg, "ignore_public_acls, restrict_public_buckets off")
	f.path == ["public_access_block", "ignore_public_acls"]
}

test_public_policy if {
	pub := with_section("policy", {"status": "present", "tls_only": false, "public_statements": [{"index": 0, "sid": "Open", "actions": ["s3:GetObject"]}]})
	r := s3b006.deny with input as pub
	some f in r
	contains(f.msg, `statement "Open" allows everyone (s3:GetObject)`)
	count(s3b006.deny) == 0 with input as with_section("policy", {"status": "none"})
}

test_tls_only if {
	count(s3b007.deny) == 1 with input as with_section("policy", {"status": "present", "tls_only": false, "public_statements": []})
	count(s3b007.deny) == 1 with input as with_section("policy", {"status": "none"})
	count(s3b007.deny) == 0 with input as good
}

test_logging if {
	count(s3b008.deny) == 1 with input as with_section("logging", {"status": "disabled"})
	count(s3b008.deny) == 0 with input as good
}

test_rules_are_total_over_odd_shapes if {
	odd := {"bucket": 7, "encryption": [], "versioning": "x", "object_lock": null, "public_access_block": {"status": "configured"}, "policy": {"status": "present", "public_statements": "no"}, "logging": {}}
	count(s3b001.deny) == 0 with input as odd
	count(s3b003.deny) == 0 with input as odd
	count(s3b005.deny) == 1 with input as odd
	count(s3b006.deny) == 0 with input as odd
	count(s3b000.warn) == 0 with input as odd
}
