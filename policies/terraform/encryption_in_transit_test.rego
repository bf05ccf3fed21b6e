package custos.terraform.encryption_in_transit_test

import data.custos.terraform.encryption_in_transit as tf013
import rego.v1

res(ty, body) := {"resource": {ty: {"x": body}}}

test_msk if {
	count(tf013.deny) == 0 with input as res("aws_msk_cluster", {"encryption_info": {"encryption_at_rest_kms_key_arn": "k"}})
	count(tf013.deny) == 1 with input as res("aws_msk_cluster", {"encryption_info": {"encryption_in_transit": {"client_broker": "PLAINTEXT"}}})
	r := tf013.deny with input as res("aws_msk_cluster", {"encryption_info": {"encryption_in_transit": [{"client_broker": "TLS_PLAINTEXT", "in_cluster": false}]}})
	{f.path | some f in r} == {
		["resource", "aws_msk_cluster", "x", "encryption_info", "encryption_in_transit", 0, "client_broker"],
		["resource", "aws_msk_cluster", "x", "encryption_info", "encryption_in_transit", 0, "in_cluster"],
	}
	count(tf013.deny) == 0 with input as res("aws_msk_cluster", {"encryption_info": {"encryption_in_transit": {"client_broker": "${var.cb}"}}})
}

test_elasticache_and_search if {
	count(tf013.deny) == 1 with input as res("aws_elasticache_replication_group", {"description": "d"})
	count(tf013.deny) == 0 with input as res("aws_elasticache_replication_group", {"transit_encryption_enabled": true})
	count(tf013.deny) == 1 with input as res("aws_opensearch_domain", {"node_to_node_encryption": {"enabled": true}, "domain_endpoint_options": {"enforce_https": false}})
	count(tf013.deny) == 1 with input as res("aws_elasticsearch_domain", {"domain_name": "d"})
	count(tf013.deny) == 0 with input as res("aws_opensearch_domain", {"node_to_node_encryption": {"enabled": true}})
}
