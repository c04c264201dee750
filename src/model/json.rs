//! The document tree as JSON (for `JSONPath` selectors and Rego input), with an
//! index from JSON pointers back to spans so results land on exact source text.
//!
//! Repeated keys (HCL blocks such as `resource` or `locals` that appear several
//! times) are combined the way Terraform's JSON syntax does: when every value is
//! an object and no key collides, the objects are merged; otherwise the values
//! become an array in source order (repeated `ingress` or `setting` blocks).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::model::{Document, Node, Value};
use crate::span::Span;

/// Spans of every JSON location: the value's span and, for object members, the key's.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    values: BTreeMap<String, Span>,
    keys: BTreeMap<String, Span>,
    /// Locations holding an unevaluated expression (exported as its source text).
    exprs: std::collections::BTreeSet<String>,
}

impl SpanIndex {
    /// The span of the value at an RFC 6901 JSON pointer (`""` is the root).
    pub fn value(&self, pointer: &str) -> Option<Span> {
        self.values.get(pointer).copied()
    }

    /// The span of the member key at a pointer, if the location is an object member.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.keys.get(pointer).copied()
    }

    /// Whether the value at a pointer is an unevaluated expression (`var.x`,
    /// a template with interpolations), not a literal string.
    pub fn is_expr(&self, pointer: &str) -> bool {
        self.exprs.contains(pointer)
    }

    /// The span of the deepest known location on the way to `pointer`: exact if
    /// the pointer exists, else its nearest existing ancestor.
    pub fn nearest(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some(s) = self.value(p) {
                return Some(s);
            }
            p = &p[..p.rfind('/')?];
        }
    }
}

/// Converts a document to JSON (its first root; all roots as an array when there
/// are several) and indexes every location's span.
pub fn to_json(doc: &Document) -> (Json, SpanIndex) {
    let mut index = SpanIndex::default();
    let json = match doc.roots.as_slice() {
        [] => Json::Null,
        [one] => convert(one, "", &mut index),
        many => {
            let items = many.iter().enumerate().map(|(i, n)| convert(n, &format!("/{i}"), &mut index)).collect();
            Json::Array(items)
        }
    };
    (json, index)
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn convert(node: &Node, pointer: &str, index: &mut SpanIndex) -> Json {
    index.values.insert(pointer.to_owned(), node.span);
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            serde_json::from_str::<serde_json::Number>(n).map_or_else(|_| Json::String(n.to_string()), Json::Number)
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Expr(e) => {
            index.exprs.insert(pointer.to_owned());
            Json::String(e.text.to_string())
        }
        Value::Seq(items) => {
            Json::Array(items.iter().enumerate().map(|(i, n)| convert(n, &format!("{pointer}/{i}"), index)).collect())
        }
        Value::Map(entries) => {
            // group repeated keys, keeping first-seen order
            let mut order: Vec<&str> = Vec::new();
            let mut groups: BTreeMap<&str, Vec<&crate::model::Entry>> = BTreeMap::new();
            for e in entries {
                let list = groups.entry(&e.key.value).or_default();
                if list.is_empty() {
                    order.push(&e.key.value);
                }
                list.push(e);
            }
            let mut map = Map::new();
            for key in order {
                let group = &groups[key];
                let child = format!("{pointer}/{}", escape_token(key));
                index.keys.insert(child.clone(), group[0].key.span);
                let value = match group.as_slice() {
                    [one] => convert(&one.value, &child, index),
                    many if mergeable(many) => {
                        let merged = Node::new(
                            many[0].value.span,
                            Value::Map(many.iter().flat_map(|e| e.value.entries().iter().cloned()).collect()),
                        );
                        convert(&merged, &child, index)
                    }
                    many => {
                        index.values.insert(child.clone(), many[0].value.span);
                        Json::Array(
                            many.iter()
                                .enumerate()
                                .map(|(i, e)| convert(&e.value, &format!("{child}/{i}"), index))
                                .collect(),
                        )
                    }
                };
                map.insert(key.to_owned(), value);
            }
            Json::Object(map)
        }
    }
}

/// Repeated entries merge when all are maps and either no key appears in two of
/// them, or each is a block-label layer (one entry whose value is a map), as
/// `resource "TYPE" "NAME"` blocks are; the merged map groups again one level down.
fn mergeable(group: &[&crate::model::Entry]) -> bool {
    let label_layer = |n: &Node| matches!(n.entries(), [only] if only.value.is_map());
    if group.iter().all(|e| label_layer(&e.value)) {
        return true;
    }
    let mut seen = std::collections::BTreeSet::new();
    group.iter().all(|e| e.value.is_map() && e.value.entries().iter().all(|inner| seen.insert(&*inner.key.value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_blocks_merge_or_list_like_terraform_json() {
        let text = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"x\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  ingress { port = 1 }\n  ingress { port = 2 }\n}\nlocals { a = 1 }\nlocals { b = \"two\" }\n";
        let doc = crate::parse::hcl::parse(text).expect("parse");
        let (json, index) = to_json(&doc);
        assert_eq!(json["resource"]["aws_s3_bucket"]["a"]["bucket"], "x");
        assert_eq!(json["resource"]["aws_s3_bucket"]["b"]["ingress"][1]["port"], 2);
        assert_eq!(json["locals"], serde_json::json!({"a": 1, "b": "two"}));
        let at = |p: &str| index.value(p).map(|s| &text[s.range()]);
        assert_eq!(at("/resource/aws_s3_bucket/a/bucket"), Some("\"x\""));
        assert_eq!(at("/resource/aws_s3_bucket/b/ingress/1/port"), Some("2"));
        assert_eq!(at("/locals/b"), Some("\"two\""));
        assert_eq!(index.key("/locals/b").map(|s| &text[s.range()]), Some("b"));
        assert_eq!(
            index
                .nearest("/resource/aws_s3_bucket/a/versioning/enabled")
                .map(|s| &text[s.range()])
                .map(|t| t.starts_with("resource")),
            Some(true)
        );
    }

    #[test]
    fn yaml_and_pointer_escaping() {
        let text = "services:\n  api:\n    labels:\n      a/b: \"1\"\n      t~x: y\n";
        let doc = crate::parse::yaml::parse(text).expect("parse");
        let (json, index) = to_json(&doc);
        assert_eq!(json["services"]["api"]["labels"]["a/b"], "1");
        assert_eq!(index.value("/services/api/labels/a~1b").map(|s| &text[s.range()]), Some("\"1\""));
        assert_eq!(index.value("/services/api/labels/t~0x").map(|s| &text[s.range()]), Some("y"));
    }
}
