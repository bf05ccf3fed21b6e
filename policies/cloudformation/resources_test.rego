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
