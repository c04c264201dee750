# METADATA
# title: prod s3 buckets keep object versions
# description: |
#   ## What it does
#   Flags `aws_s3_bucket` resources in prod Terraform that have neither an inline
#   `versioning { enabled = true }` block (AWS provider v3) nor an
#   `aws_s3_bucket_versioning` resource in the same file with
#   `status = "Enabled"` (provider v4+), and versioning that is explicitly suspended.
#
#   ## Why is this bad?
#   Without versioning, an overwrite or a delete in prod cannot be undone.
#
#   ## How to fix
#   Add an `aws_s3_bucket_versioning` resource for the bucket.
#
#   Only the file itself is read: a versioning resource in another file of the
#   module is not seen.
# custom:
#   id: prod-s3-versioning
#   severity: error
#   help: add `resource "aws_s3_bucket_versioning"` with `versioning_configuration { status = "Enabled" }` for the bucket
#   kinds: [terraform]
#   environments: [prod]
package envlint.prod_s3_versioning

buckets := object.get(input.document, ["resource", "aws_s3_bucket"], {})

versionings := object.get(input.document, ["resource", "aws_s3_bucket_versioning"], {})

# provider v4+: `bucket = aws_s3_bucket.NAME.id` (or `.bucket`) with status Enabled
versioned contains name if {
	some v in versionings
	v.versioning_configuration.status == "Enabled"
	some name, _ in buckets
	startswith(v.bucket, sprintf("aws_s3_bucket.%s.", [name]))
}

# provider v3: inline block
versioned contains name if {
	some name, b in buckets
	b.versioning.enabled == true
}

deny contains {
	"msg": sprintf("s3 bucket %s has no versioning in %s", [name, input.env]),
	# the attribute is absent: the finding lands on the resource header
	"path": ["resource", "aws_s3_bucket", name, "versioning"],
} if {
	some name, _ in buckets
	not name in versioned
}

deny contains {
	"msg": sprintf("versioning of %s is %s in %s", [v.bucket, status, input.env]),
	"path": ["resource", "aws_s3_bucket_versioning", key, "versioning_configuration", "status"],
} if {
	some key, v in versionings
	status := v.versioning_configuration.status
	status != "Enabled"
}
