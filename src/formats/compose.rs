//! Docker Compose structure over the generic tree.

use crate::model::{Document, Node, Value};

/// Every `env_file:` path of every service (string, list of strings, or list of
/// `{path: ...}` maps), as written, in source order.
pub fn env_files(doc: &Document) -> Vec<&str> {
    let mut out = Vec::new();
    for root in &doc.roots {
        for svc in root.get("services").map_or(&[][..], Node::entries) {
            let Some(env_file) = svc.value.get("env_file") else { continue };
            let items: Vec<&Node> = match &env_file.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![env_file],
            };
            for item in items {
                if let Some(p) = item.as_str().or_else(|| item.get("path").and_then(Node::as_str)) {
                    out.push(p);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_forms() {
        let text = "services:\n  a:\n    env_file: .env.prod\n  b:\n    env_file:\n      - ./common.env\n      - path: ../shared/.env\n        required: false\n  c:\n    image: x\n";
        let doc = crate::parse::yaml::parse(text).expect("parse");
        assert_eq!(env_files(&doc), [".env.prod", "./common.env", "../shared/.env"]);
    }
}
