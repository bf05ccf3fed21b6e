#!/usr/bin/env python3
"""Generate the mixed infrastructure-as-code corpus that scan throughput is measured on.

Deterministic: the same arguments give byte-identical files (no randomness beyond a seeded
generator, no timestamps). The corpus is a tree of services of ten small files each, as a
monorepo of many services looks:

    svc00000/terraform/{main,storage,variables,outputs}.tf   4 Terraform files (one module)
    svc00000/k8s/{deployment,service,configmap}.yaml         3 Kubernetes manifests
    svc00000/cfn/stack.yaml                                  1 CloudFormation template
    svc00000/.github/workflows/ci.yml                        1 GitHub Actions workflow
    svc00000/docker-compose.yml                              1 Compose file

so 40 % Terraform, 30 % Kubernetes, 10 % each CloudFormation, GitHub Actions and Compose,
about 1 KB per file. Every file is written clean for the bundled rules (encrypted, versioned,
logged buckets; secrets from secret stores), except in one service of every PLANT_EVERY
(default 10), where three files carry a planted problem: a hardcoded Terraform secret, a
literal Kubernetes env password, a Compose connection URI with a password. So about 3 % of
the files have findings, and the memory a scan keeps for them (sources, findings) is small.

With --only terraform, only the Terraform files of the same N/10 services are written (4 per
service: a Terraform-only corpus for comparing with Terraform-only tools).

Usage: gen-scan-corpus.py --files N --out DIR [--plant-every K] [--seed S] [--only terraform]
Prints one line: files, bytes, files with planted findings.
"""

import argparse
import os
import random

PER_SERVICE = 10


def terraform_main(s, rng, plant):
    env = rng.choice(["prod", "staging", "dev"])
    out = f'''terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }}
  }}
}}

provider "aws" {{
  region = var.region
}}

resource "aws_kms_key" "svc{s}" {{
  description             = "svc{s} data key"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}}

resource "aws_iam_role" "svc{s}" {{
  name = "svc{s}-{env}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
    }}]
  }})
  tags = local.tags
}}

resource "aws_security_group" "svc{s}" {{
  name   = "svc{s}-{env}"
  vpc_id = var.vpc_id
  ingress {{
    from_port   = {rng.choice([443, 8443, 8080])}
    to_port     = {rng.choice([443, 8443, 8080])}
    protocol    = "tcp"
    cidr_blocks = ["10.{s % 250}.0.0/16"]
  }}
}}

locals {{
  tags = {{
    service = "svc{s}"
    env     = "{env}"
    team    = "{rng.choice(["data", "platform", "ml", "payments"])}"
  }}
}}
'''
    if plant:
        out += f'''
resource "aws_db_instance" "svc{s}" {{
  identifier        = "svc{s}"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.svc{s}.arn
  username          = "app"
  password          = "Pl4nted-{s:05d}-Secret!"
}}
'''
    return out


def terraform_storage(s, rng):
    return f'''resource "aws_s3_bucket" "logs{s}" {{
  bucket = "acme-svc{s}-logs"
  tags   = local.tags
}}

resource "aws_s3_bucket" "data{s}" {{
  bucket = "acme-svc{s}-data"
  tags   = local.tags
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "data{s}" {{
  bucket = aws_s3_bucket.data{s}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.svc{s}.arn
    }}
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs{s}" {{
  bucket = aws_s3_bucket.logs{s}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.svc{s}.arn
    }}
  }}
}}

resource "aws_s3_bucket_versioning" "data{s}" {{
  bucket = aws_s3_bucket.data{s}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_versioning" "logs{s}" {{
  bucket = aws_s3_bucket.logs{s}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_public_access_block" "data{s}" {{
  bucket                  = aws_s3_bucket.data{s}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_public_access_block" "logs{s}" {{
  bucket                  = aws_s3_bucket.logs{s}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_logging" "data{s}" {{
  bucket        = aws_s3_bucket.data{s}.id
  target_bucket = aws_s3_bucket.logs{s}.id
  target_prefix = "data/"
}}

resource "aws_s3_bucket_logging" "logs{s}" {{
  bucket        = aws_s3_bucket.logs{s}.id
  target_bucket = aws_s3_bucket.logs{s}.id
  target_prefix = "self/"
}}
'''


def terraform_variables(s, rng):
    return f'''variable "region" {{
  type    = string
  default = "{rng.choice(["eu-west-1", "us-east-1", "ap-southeast-2"])}"
}}

variable "vpc_id" {{
  type        = string
  description = "VPC of svc{s}"
}}

variable "replicas" {{
  type    = number
  default = {rng.randint(1, 6)}
}}

variable "db_password" {{
  type      = string
  sensitive = true
}}
'''


def terraform_outputs(s, rng):
    return f'''output "data_bucket" {{
  value = aws_s3_bucket.data{s}.bucket
}}

output "role_arn" {{
  value = aws_iam_role.svc{s}.arn
}}

output "security_group" {{
  value = aws_security_group.svc{s}.id
}}
'''


def k8s_deployment(s, rng, plant):
    env_value = (
        f'''            - name: DB_PASSWORD
              value: "Pl4nted-{s:05d}-Secret!"'''
        if plant
        else '''            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}'''
    )
    return f'''apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{s}
  namespace: team-{s % 17}
  labels: {{app: svc{s}, tier: backend}}
spec:
  replicas: {rng.randint(1, 6)}
  selector:
    matchLabels: {{app: svc{s}}}
  template:
    metadata:
      labels: {{app: svc{s}}}
    spec:
      serviceAccountName: svc{s}
      containers:
        - name: app
          image: registry.example.com/acme/svc{s}:{rng.randint(1, 99)}.{rng.randint(0, 20)}
          ports:
            - containerPort: 8080
          args: ["--input", "s3://acme-svc{s}-data/in/", "--workers", "{rng.randint(2, 16)}"]
          env:
{env_value}
            - name: LOG_LEVEL
              value: info
          resources:
            limits: {{cpu: 500m, memory: 512Mi}}
'''


def k8s_service(s, rng):
    return f'''apiVersion: v1
kind: Service
metadata:
  name: svc{s}
  namespace: team-{s % 17}
spec:
  selector:
    app: svc{s}
  ports:
    - name: http
      port: 80
      targetPort: 8080
  type: ClusterIP
'''


def k8s_configmap(s, rng):
    return f'''apiVersion: v1
kind: ConfigMap
metadata:
  name: svc{s}-config
  namespace: team-{s % 17}
data:
  LOG_FORMAT: json
  BATCH_SIZE: "{rng.randint(100, 5000)}"
  FEATURE_FLAGS: "search,export,audit"
  UPSTREAM_URL: "http://svc{(s + 1) % 100000}.team-{(s + 1) % 17}.svc.cluster.local"
'''


def cloudformation(s, rng):
    return f'''AWSTemplateFormatVersion: "2010-09-09"
Description: svc{s} queue and table
Parameters:
  Environment:
    Type: String
    Default: {rng.choice(["prod", "staging", "dev"])}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "svc{s}-${{Environment}}"
      KmsMasterKeyId: alias/aws/sqs
      VisibilityTimeout: {rng.choice([30, 60, 120])}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "svc{s}-${{Environment}}"
      BillingMode: PAY_PER_REQUEST
      SSESpecification:
        SSEEnabled: true
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
Outputs:
  QueueUrl:
    Value: !Ref Queue
'''


def github_actions(s, rng):
    return f'''name: svc{s} ci
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.{rng.randint(10, 13)}"
      - run: pip install -r requirements.txt
      - run: pytest -q services/svc{s}
  deploy:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy.sh svc{s}
        env:
          DEPLOY_TOKEN: ${{{{ secrets.DEPLOY_TOKEN }}}}
'''


def compose(s, rng, plant):
    url = (
        f"postgres://app:Pl4nted{s:05d}pw@db:5432/svc{s}"
        if plant
        else f"postgres://db:5432/svc{s}"
    )
    return f'''services:
  app:
    image: registry.example.com/acme/svc{s}:latest
    ports:
      - "{8000 + s % 1000}:8080"
    environment:
      DATABASE_URL: "{url}"
      DATABASE_PASSWORD_FILE: /run/secrets/db_password
      LOG_LEVEL: info
    depends_on: [db]
    secrets: [db_password]
  db:
    image: postgres:{rng.choice([14, 15, 16])}
    environment:
      POSTGRES_DB: svc{s}
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    secrets: [db_password]
secrets:
  db_password:
    file: ./secrets/db_password.txt
'''


def service_files(s, rng, plant):
    return [
        ("terraform/main.tf", terraform_main(s, rng, plant)),
        ("terraform/storage.tf", terraform_storage(s, rng)),
        ("terraform/variables.tf", terraform_variables(s, rng)),
        ("terraform/outputs.tf", terraform_outputs(s, rng)),
        ("k8s/deployment.yaml", k8s_deployment(s, rng, plant)),
        ("k8s/service.yaml", k8s_service(s, rng)),
        ("k8s/configmap.yaml", k8s_configmap(s, rng)),
        ("cfn/stack.yaml", cloudformation(s, rng)),
        (".github/workflows/ci.yml", github_actions(s, rng)),
        ("docker-compose.yml", compose(s, rng, plant)),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, required=True, help="number of files (a multiple of 10)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plant-every", type=int, default=10, help="one service in K has findings (0: none)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--only", choices=["terraform"], help="write only the Terraform files of each service")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    services = max(1, a.files // PER_SERVICE)
    total = planted = files = 0
    for s in range(services):
        plant = a.plant_every > 0 and s % a.plant_every == a.plant_every // 2
        for rel, text in service_files(s, rng, plant):
            if a.only and not rel.startswith(a.only + "/"):
                continue
            files += 1
            path = os.path.join(a.out, f"svc{s:05d}", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            total += len(text.encode())
        planted += (1 if a.only else 3) if plant else 0
    print(f"{files} files, {total} bytes, {planted} files with planted findings")


if __name__ == "__main__":
    main()
