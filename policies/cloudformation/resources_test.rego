package custos.cloudformation.resources_test

import data.custos.cloudformation.resources as cfn001
import rego.v1

test_findings if {
	r := cfn001.deny with input as parse_config("yaml", `
Parameters:
  DBPassword:
    Type: String
Resources:
  Data:
    Type: AWS::S3::Bucket
  DB:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUserPassword: !Ref DBPassword
`)
	count(r) == 3
}

test_compliant_template if {
	r := cfn001.deny with input as parse_config("yaml", `
Parameters:
  DBPassword:
    Type: String
    NoEcho: true
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
  DB:
    Type: AWS::RDS::DBInstance
    Properties:
      StorageEncrypted: true
      MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'
`)
	count(r) == 0
}

# Encryption inherited from a cluster, a source or a snapshot; SSM-typed parameters hold names.
test_inherited_encryption_and_ssm_parameters_pass if {
	r := cfn001.deny with input as parse_config("yaml", `
Parameters:
  DBPasswordParameterName:
    Type: String
  DBPassword:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /prod/db/password
  ApiToken:
    Type: String
    NoEcho: "true"
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      StorageEncrypted: "true"
  Instance:
    Type: AWS::RDS::DBInstance
    Properties:
      DBClusterIdentifier: !Ref Cluster
  Replica:
    Type: AWS::RDS::DBInstance
    Properties:
      SourceDBInstanceIdentifier: primary
  Restored:
    Type: AWS::RDS::DBCluster
    Properties:
      SnapshotIdentifier: arn:aws:rds:eu-west-1:123:cluster-snapshot:x
`)
	count(r) == 0
}

test_rds_without_properties_is_unencrypted if {
	r := cfn001.deny with input as {"Resources": {"DB": {"Type": "AWS::RDS::DBInstance"}}}
	{f.path | some f in r} == {["Resources", "DB"]}
}

test_every_shape_is_total if {
	shapes := [null, "x", 3, [], {}, [null], {"Type": 5}, {"Type": "AWS::RDS::DBInstance", "Properties": "x"}]
	every s in shapes {
		r := cfn001.deny with input as {"Parameters": s, "Resources": s}
		is_set(r)
	}
	every s in shapes {
		r := cfn001.deny with input as {
			"Parameters": {"Odd": s, "DBPassword": s, "ApiToken": {"Type": "String"}},
			"Resources": {"Odd": s, "Bucket": {"Type": "AWS::S3::Bucket", "Properties": s}},
		}
		found := {f.path | some f in r}
		["Parameters", "ApiToken"] in found
		["Resources", "Bucket"] in found
	}
}
