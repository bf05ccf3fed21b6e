# TF013: data in transit not encrypted between clients and a data service, or inside it:
# - MSK: `encryption_in_transit.client_broker` allowing plaintext (`PLAINTEXT`,
#   `TLS_PLAINTEXT`; the default is `TLS`), or `in_cluster = false`;
# - ElastiCache replication groups without `transit_encryption_enabled = true`;
# - OpenSearch/Elasticsearch domains without node-to-node encryption, or with
#   `domain_endpoint_options.enforce_https = false`.
# Values that are unresolved expressions are not judged.
package custos.terraform.encryption_in_transit

import data.custos.lib.terraform as tf
import data.custos.lib.terraform.by_type
import rego.v1

metadata := {
	"id": "TF013",
	"title": "Data service without encryption in transit",
	"description": "A data service that sends data over the network unencrypted: MSK with plaintext client or in-cluster traffic, ElastiCache without transit encryption, OpenSearch without node-to-node encryption or without enforced HTTPS. Traffic in clear can be read or altered by anyone on the network path, credentials and personal data included.",
	"severity": "high",
	"kinds": ["terraform"],
	"reads": ["resource"],
	"controls": ["SOC2:CC6.7", "ISO27001:A.8.24", "GDPR:Art.32", "NIST-800-53:SC-8"],
	"remediation": "MSK: encryption_info { encryption_in_transit { client_broker = \"TLS\", in_cluster = true } }. ElastiCache: transit_encryption_enabled = true. OpenSearch: node_to_node_encryption { enabled = true } and domain_endpoint_options { enforce_https = true }.",
}

plaintext := {"PLAINTEXT", "TLS_PLAINTEXT"}

msk_transit contains [path, name, p, t] if {
	some [path, name, r] in by_type["aws_msk_cluster"]
	some [i, e] in tf.blocks_at(r, "encryption_info")
	some [j, t] in tf.blocks_at(e, "encryption_in_transit")
	p := array.concat(array.concat(array.concat(array.concat(path, ["encryption_info"]), i), ["encryption_in_transit"]), j)
}

deny contains {"msg": msg, "path": array.concat(p, ["client_broker"])} if {
	some [_, name, p, t] in msk_transit
	cb := tf.get(t, "client_broker", "TLS")
	cb in plaintext
	msg := sprintf("aws_msk_cluster.%s accepts plaintext client connections (client_broker = %q)", [name, cb])
}

deny contains {"msg": msg, "path": array.concat(p, ["in_cluster"])} if {
	some [_, name, p, t] in msk_transit
	tf.false_value(tf.get(t, "in_cluster", null))
	msg := sprintf("aws_msk_cluster.%s does not encrypt traffic between brokers (in_cluster = false)", [name])
}

deny contains {"msg": msg, "path": tf.at(path, r, "transit_encryption_enabled")} if {
	some [path, name, r] in by_type["aws_elasticache_replication_group"]
	tf.known_not_true(tf.get(r, "transit_encryption_enabled", false))
	msg := sprintf("aws_elasticache_replication_group.%s does not encrypt traffic in transit (transit_encryption_enabled is not true)", [name])
}

search_types := ["aws_opensearch_domain", "aws_elasticsearch_domain"]

deny contains {"msg": msg, "path": tf.at_block(path, r, "node_to_node_encryption", "enabled")} if {
	some ty in search_types
	some [path, name, r] in by_type[ty]
	values := [v | some n in tf.blocks(r, "node_to_node_encryption"); v := tf.get(n, "enabled", null)]
	not any_true(values)
	not any_unknown(values)
	not tf.unknown(tf.get(r, "node_to_node_encryption", null))
	msg := sprintf("%s.%s does not encrypt traffic between nodes (node_to_node_encryption)", [ty, name])
}

deny contains {"msg": msg, "path": array.concat(array.concat(array.concat(path, ["domain_endpoint_options"]), i), ["enforce_https"])} if {
	some ty in search_types
	some [path, name, r] in by_type[ty]
	some [i, e] in tf.blocks_at(r, "domain_endpoint_options")
	tf.false_value(tf.get(e, "enforce_https", null))
	msg := sprintf("%s.%s accepts plain HTTP (enforce_https = false)", [ty, name])
}

any_true(values) if {
	some v in values
	tf.true_value(v)
}

any_unknown(values) if {
	some v in values
	tf.unknown(v)
}
