//! Terraform: structure over the generic tree (resources and their bodies), the
//! expression evaluator ([`eval`], [`funcs`], [`value`]), root modules evaluated
//! per environment ([`module`]), taggable resource types ([`taggable`]).

pub mod eval;
pub mod funcs;
pub mod layout;
pub mod module;
pub mod taggable;
pub mod tags;
pub mod value;

use crate::model::Node;
use crate::span::Span;

/// A `resource "TYPE" "NAME" { ... }` block.
pub struct Resource<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    /// The `resource` keyword through the name label.
    pub header: Span,
    pub body: &'a Node,
}

/// Every resource block of a Terraform file, in source order.
pub fn resources(root: &Node) -> impl Iterator<Item = Resource<'_>> {
    root.entries().iter().filter(|e| &*e.key.value == "resource").flat_map(|block| {
        block.value.entries().iter().flat_map(move |ty| {
            ty.value.entries().iter().map(move |name| Resource {
                kind: &ty.key.value,
                name: &name.key.value,
                header: block.key.span.cover(name.key.span),
                body: &name.value,
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_resources_with_headers() {
        let text =
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"x\"\n}\n\nresource \"aws_db_instance\" \"main\" {}\n";
        let doc = crate::parse::hcl::parse(text).expect("parse");
        let root = doc.root().expect("root");
        let got: Vec<(&str, &str, &str)> = resources(root).map(|r| (r.kind, r.name, &text[r.header.range()])).collect();
        assert_eq!(
            got,
            [
                ("aws_s3_bucket", "logs", "resource \"aws_s3_bucket\" \"logs\""),
                ("aws_db_instance", "main", "resource \"aws_db_instance\" \"main\"")
            ]
        );
        let first = resources(root).next().expect("one");
        assert_eq!(first.body.get("bucket").and_then(Node::as_str), Some("x"));
    }
}
