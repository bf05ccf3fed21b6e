# CFN001: CloudFormation data stores without encryption at rest (S3 buckets without
# BucketEncryption, RDS instances/clusters without StorageEncrypted) and credential parameters
# without NoEcho (their values show in the console and in describe-stacks).
package custos.cloudformation.resources

import data.custos.lib.credentials
import rego.v1

metadata := {
	"id": "CFN001",
	"title": "CloudFormation resource unencrypted or credential parameter echoed",
	"severity": "high",
	"kinds": ["cloudformation"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28"],
	"remediation": "Add BucketEncryption / StorageEncrypted: true (with a KMS key), and declare credential parameters with NoEcho: true — better, use {{resolve:secretsmanager:…}} dynamic references.",
}

resources contains [name, r] if {
	some name, r in input.Resources
	is_object(r)
}

deny contains {"msg": sprintf("S3 bucket %s has no BucketEncryption", [name]), "path": ["Resources", name]} if {
	some [name, r] in resources
	r.Type == "AWS::S3::Bucket"
	not r.Properties.BucketEncryption
}

rds_types := {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}

deny contains {"msg": sprintf("%s %s is not StorageEncrypted", [r.Type, name]), "path": ["Resources", name]} if {
	some [name, r] in resources
	r.Type in rds_types
	object.get(object.get(r, "Properties", {}), "StorageEncrypted", false) != true
	# Aurora Serverless v1 is always encrypted; read replicas inherit encryption.
	object.get(r.Properties, "EngineMode", "") != "serverless"
	not r.Properties.SourceDBInstanceIdentifier
}

deny contains {"msg": sprintf("parameter %s looks like a credential but has no NoEcho", [name]), "path": ["Parameters", name]} if {
	some name, p in input.Parameters
	credentials.key(name)
	object.get(p, "NoEcho", false) != true
	object.get(p, "NoEcho", "") != "true"
}
