# CFN001: CloudFormation data stores without encryption at rest (S3 buckets without
# BucketEncryption, RDS instances/clusters without StorageEncrypted) and credential parameters
# without NoEcho (their values show in the console and in describe-stacks). Encryption inherited
# from a cluster, a source instance or a snapshot counts; SSM-typed parameters hold names.
package custos.cloudformation.resources

import data.custos.lib.credentials
import data.custos.lib.shape
import rego.v1

metadata := {
	"id": "CFN001",
	"title": "CloudFormation resource unencrypted or credential parameter echoed",
	"description": "CloudFormation resources that leave data unprotected: an `AWS::S3::Bucket` without `BucketEncryption`, an RDS instance or cluster without `StorageEncrypted: true`, and a credential parameter without `NoEcho: true`. Unencrypted storage exposes data to whoever reaches the disks or snapshots, and a parameter without `NoEcho` shows the credential in the console, the API and stack events.",
	"severity": "high",
	"kinds": ["cloudformation"],
	"controls": ["SOC2:CC6.1", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-28"],
	"remediation": "Add BucketEncryption / StorageEncrypted: true (with a KMS key), and declare credential parameters with NoEcho: true — better, use {{resolve:secretsmanager:…}} dynamic references.",
}

resources contains [name, r] if {
	some name, r in shape.object_or_empty(shape.get(input, "Resources", {}))
	is_object(r)
}

properties(r) := shape.object_or_empty(shape.get(r, "Properties", {}))

deny contains {"msg": sprintf("S3 bucket %s has no BucketEncryption", [name]), "path": ["Resources", name]} if {
	some [name, r] in resources
	r.Type == "AWS::S3::Bucket"
	not properties(r).BucketEncryption
}

rds_types := {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}

encrypted(props) if props.StorageEncrypted == true

encrypted(props) if props.StorageEncrypted == "true"

# Aurora Serverless v1 is always encrypted; read replicas inherit encryption from their source,
# Aurora instances from their cluster, restored instances and clusters from their snapshot.
inherits_encryption(props) if props.EngineMode == "serverless"

inherits_encryption(props) if props.SourceDBInstanceIdentifier

inherits_encryption(props) if props.SourceDBClusterIdentifier

inherits_encryption(props) if props.DBClusterIdentifier

inherits_encryption(props) if props.DBSnapshotIdentifier

inherits_encryption(props) if props.SnapshotIdentifier

deny contains {"msg": sprintf("%s %s is not StorageEncrypted", [r.Type, name]), "path": ["Resources", name]} if {
	some [name, r] in resources
	r.Type in rds_types
	props := properties(r)
	not encrypted(props)
	not inherits_encryption(props)
}

# A parameter whose value is a name in SSM Parameter Store holds a name, not a secret.
ssm_parameter(p) if startswith(shape.string_or(shape.get(p, "Type", ""), ""), "AWS::SSM::Parameter")

no_echo(p) if shape.get(p, "NoEcho", false) == true

no_echo(p) if shape.get(p, "NoEcho", false) == "true"

deny contains {"msg": sprintf("parameter %s looks like a credential but has no NoEcho", [name]), "path": ["Parameters", name]} if {
	some name, p in shape.object_or_empty(shape.get(input, "Parameters", {}))
	credentials.key(name)
	not no_echo(p)
	not ssm_parameter(p)
}
