//! Which resource types take tags (AWS, Azure: `tags`) or labels (Google:
//! `labels`), from the lists in `data/` (derived from the providers' schemas by
//! checkov, see each file's header). A type not listed is taggable too when its
//! block sets the attribute.

use std::collections::BTreeSet;
use std::sync::LazyLock;

const AWS: &str = include_str!("../../../data/aws-taggable-resources.txt");
const AZURE: &str = include_str!("../../../data/azure-taggable-resources.txt");
const GCP: &str = include_str!("../../../data/gcp-taggable-resources.txt");

static LISTED: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| {
    [AWS, AZURE, GCP]
        .iter()
        .flat_map(|text| text.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The attribute that holds a type's tags: `labels` for Google, else `tags`.
pub fn tag_attribute(kind: &str) -> &'static str {
    if kind.starts_with("google_") { "labels" } else { "tags" }
}

/// Whether the type is listed as taking tags or labels.
pub fn listed(kind: &str) -> bool {
    LISTED.contains(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read() {
        for kind in ["aws_s3_bucket", "aws_db_instance", "azurerm_resource_group", "google_storage_bucket"] {
            assert!(listed(kind), "{kind}");
        }
        for kind in [
            "aws_s3_bucket_versioning",
            "aws_iam_role_policy_attachment",
            "aws_route53_record",
            "aws_security_group_rule",
            "random_password",
            "# Terraform resource types of the aws provider that accept `tags` (724 types), one per line.",
        ] {
            assert!(!listed(kind), "{kind}");
        }
        assert!(LISTED.len() > 1300);
        assert_eq!(tag_attribute("google_compute_instance"), "labels");
        assert_eq!(tag_attribute("aws_instance"), "tags");
    }
}
