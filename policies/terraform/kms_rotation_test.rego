package custos.terraform.kms_rotation_test

import data.custos.terraform.kms_rotation as tf012
import rego.v1

res(ty, body) := {"resource": {ty: {"x": body}}}

test_aws_keys if {
	count(tf012.deny) == 1 with input as res("aws_kms_key", {"description": "k"})
	count(tf012.deny) == 1 with input as res("aws_kms_key", {"enable_key_rotation": false})
	count(tf012.deny) == 0 with input as res("aws_kms_key", {"enable_key_rotation": true})
	count(tf012.deny) == 0 with input as res("aws_kms_key", {"enable_key_rotation": "${var.rotate}"})
	count(tf012.deny) == 0 with input as res("aws_kms_key", {"customer_master_key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"})
	count(tf012.deny) == 0 with input as res("aws_kms_key", {"custom_key_store_id": "cks-1"})
}

test_google_keys if {
	count(tf012.deny) == 1 with input as res("google_kms_crypto_key", {"name": "k"})
	count(tf012.deny) == 1 with input as res("google_kms_crypto_key", {"rotation_period": "31536000s"})
	count(tf012.deny) == 0 with input as res("google_kms_crypto_key", {"rotation_period": "7776000s"})
	count(tf012.deny) == 0 with input as res("google_kms_crypto_key", {"rotation_period": "${var.period}"})
	count(tf012.deny) == 0 with input as res("google_kms_crypto_key", {"purpose": "ASYMMETRIC_DECRYPT"})
}
