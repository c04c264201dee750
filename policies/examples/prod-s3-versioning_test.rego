package envlint.prod_s3_versioning_test

import data.envlint.prod_s3_versioning as policy

bucket := {"bucket": "acme-logs"}

enabled := {
	"bucket": "aws_s3_bucket.logs.id",
	"versioning_configuration": {"status": "Enabled"},
}

test_bucket_without_versioning_is_denied if {
	results := policy.deny with input as {"env": "prod", "document": {"resource": {"aws_s3_bucket": {"logs": bucket}}}}
	results == {{
		"msg": "s3 bucket logs has no versioning in prod",
		"path": ["resource", "aws_s3_bucket", "logs", "versioning"],
	}}
}

test_versioning_resource_passes if {
	doc := {"resource": {"aws_s3_bucket": {"logs": bucket}, "aws_s3_bucket_versioning": {"logs": enabled}}}
	count(policy.deny) == 0 with input as {"env": "prod", "document": doc}
}

test_versioning_of_another_bucket_does_not_count if {
	doc := {"resource": {
		"aws_s3_bucket": {"logs": bucket, "data": bucket},
		"aws_s3_bucket_versioning": {"logs": enabled},
	}}
	results := policy.deny with input as {"env": "prod", "document": doc}
	[r.msg | some r in results] == ["s3 bucket data has no versioning in prod"]
}

test_inline_versioning_block_passes if {
	doc := {"resource": {"aws_s3_bucket": {"logs": {"bucket": "x", "versioning": {"enabled": true}}}}}
	count(policy.deny) == 0 with input as {"env": "prod", "document": doc}
}

test_suspended_versioning_is_denied if {
	suspended := {"bucket": "aws_s3_bucket.logs.id", "versioning_configuration": {"status": "Suspended"}}
	doc := {"resource": {"aws_s3_bucket": {"logs": bucket}, "aws_s3_bucket_versioning": {"logs": suspended}}}
	results := policy.deny with input as {"env": "prod", "document": doc}
	[r.msg | some r in results] == [
		"s3 bucket logs has no versioning in prod",
		"versioning of aws_s3_bucket.logs.id is Suspended in prod",
	]
}

test_file_without_buckets_passes if {
	count(policy.deny) == 0 with input as {"env": "prod", "document": {"locals": {"a": 1}}}
}
