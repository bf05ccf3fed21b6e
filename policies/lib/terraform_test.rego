package custos.lib.terraform_test

import data.custos.lib.terraform as tf
import rego.v1

test_referenced_names_one_resource if {
	tf.referenced("aws_s3_bucket", "${aws_s3_bucket.logs.id}") == "logs"
	tf.referenced("aws_s3_bucket", "${aws_s3_bucket.logs[0].bucket}") == "logs"
	tf.referenced("aws_s3_bucket", "${var.c ? aws_s3_bucket.logs[0].id : \"\"}") == "logs"
	not tf.referenced("aws_s3_bucket", "${var.c ? aws_s3_bucket.a.id : aws_s3_bucket.b.id}")
	not tf.referenced("aws_s3_bucket", "${data.aws_s3_bucket.logs.id}")
	not tf.referenced("aws_s3_bucket", "acme-logs")
	not tf.referenced("aws_s3_bucket", null)
}

test_shapes if {
	tf.list(null) == []
	tf.list({"a": 1}) == [{"a": 1}]
	tf.blocks({"b": [{"x": 1}, "text", null]}, "b") == [{"x": 1}]
	tf.blocks("text", "b") == []
	tf.get("text", "k", 1) == 1
	tf.str(3) == ""
	tf.known_not_true(null)
	not tf.known_not_true("${var.x}")
	not tf.known_not_true("true")
	tf.at(["r"], {"k": false}, "k") == ["r", "k"]
	tf.at(["r"], {"k": null}, "k") == ["r"]
	tf.at_block(["r"], {"b": {"k": 1}}, "b", "k") == ["r", "b", "k"]
	tf.at_block(["r"], {"b": [{"k": 1}]}, "b", "k") == ["r", "b"]
	tf.at_block(["r"], {}, "b", "k") == ["r"]
}

test_resources_handles_repeated_and_odd_declarations if {
	r := tf.resources("t") with input as {"resource": {"t": {"a": {"x": 1}, "b": [{"y": 1}, "text"], "c": null}}}
	r == [[["resource", "t", "a"], "a", {"x": 1}], [["resource", "t", "b", 0], "b", {"y": 1}]]
	tf.resources("t") == [] with input as {"resource": "${var.r}"}
}

test_by_type_lists_each_declared_type_as_resources_does if {
	doc := {"resource": {"t": {"a": {"x": 1}, "b": [{"y": 1}, "text"]}, "u": {"c": {}}, "v": "${var.v}"}}
	tf.by_type == {
		"t": [[["resource", "t", "a"], "a", {"x": 1}], [["resource", "t", "b", 0], "b", {"y": 1}]],
		"u": [[["resource", "u", "c"], "c", {}]],
		"v": [],
	} with input as doc
	tf.by_type == {} with input as {"resource": "${var.r}"}
	tf.by_type == {} with input as {"variable": {}}
}
