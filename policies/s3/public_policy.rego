# S3B006: a bucket policy statement that allows everyone (Principal "*") with no condition.
package custos.s3.public_policy

import rego.v1

metadata := {
	"id": "S3B006",
	"title": "S3 bucket policy grants access to everyone",
	"description": "A statement of the bucket policy (GetBucketPolicy) has Effect Allow, a public principal (`*` or `{\"AWS\": \"*\"}`) and no Condition narrowing it (to an organisation, a VPC endpoint, a source account): anyone on the internet gets the listed actions.",
	"severity": "high",
	"kinds": ["s3-bucket"],
	"controls": ["SOC2:CC6.6", "ISO27001:A.8.3", "GDPR:Art.32", "NIST-800-53:AC-3"],
	"remediation": "Name the principals that need access, or add a Condition (aws:PrincipalOrgID, aws:SourceVpce, aws:SourceAccount); keep the public access block on so a public policy is refused.",
}

deny contains {"msg": msg, "path": ["policy", "public_statements", i]} if {
	is_object(input)
	p := object.get(input, "policy", {})
	is_object(p)
	object.get(p, "status", "") == "present"
	stmts := object.get(p, "public_statements", [])
	is_array(stmts)
	some i, s in stmts
	msg := sprintf("s3://%v bucket policy statement %v allows everyone (%v) with no condition (%v)", [
		object.get(input, "bucket", "?"), label(s), actions(s), object.get(p, "call", "GetBucketPolicy"),
	])
}

label(s) := sprintf("%q", [s.sid]) if {
	is_object(s)
	is_string(s.sid)
} else := sprintf("#%v", [s.index]) if {
	is_object(s)
	is_number(s.index)
} else := "(unnamed)"

actions(s) := concat(", ", [a | some a in object.get(s, "actions", []); is_string(a)]) if is_object(s) else := "?"
