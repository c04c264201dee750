//! A view of a tree assembled from several files: GitLab jobs after `include:`,
//! `extends:` and `!reference`, compose services after override files and
//! `extends:`. Every value keeps the file and the node it comes from, so a rule
//! points at the template's or the base file's value, never at a copy.
//!
//! Subtrees that nothing merged into are borrowed as they are; only the maps
//! and lists that a merge touched are rebuilt. Depends on `model`, `span` and
//! the location types of `rule`.

use std::borrow::Cow;

use crate::model::{Node, Value};
use crate::rule::{FileRef, Loc};

/// A value of an assembled tree, with where it comes from.
#[derive(Clone, Debug)]
pub struct Located<'a> {
    pub file: FileRef,
    /// The node the value comes from; for a merged map or list, the node of the
    /// last file that contributed to it.
    pub node: &'a Node,
    shape: Shape<'a>,
}

#[derive(Clone, Debug)]
enum Shape<'a> {
    /// The node as written.
    Node,
    /// A map rebuilt by a merge.
    Map(Vec<LEntry<'a>>),
    /// A list rebuilt by a merge (or a `!reference` expansion).
    Seq(Vec<Located<'a>>),
}

/// A map entry of an assembled tree: its key (where written) and its value.
#[derive(Clone, Debug)]
pub struct LEntry<'a> {
    pub key: &'a str,
    pub key_loc: Loc,
    pub value: Located<'a>,
}

impl<'a> Located<'a> {
    /// A node as written in `file`.
    pub fn new(file: FileRef, node: &'a Node) -> Self {
        Self { file, node, shape: Shape::Node }
    }

    /// A rebuilt map whose home (span, tag) is `node` of `file`.
    pub fn map(file: FileRef, node: &'a Node, entries: Vec<LEntry<'a>>) -> Self {
        Self { file, node, shape: Shape::Map(entries) }
    }

    /// A rebuilt list whose home is `node` of `file`.
    pub fn seq(file: FileRef, node: &'a Node, items: Vec<Located<'a>>) -> Self {
        Self { file, node, shape: Shape::Seq(items) }
    }

    /// Where the value is written.
    pub fn loc(&self) -> Loc {
        Loc { file: self.file, span: self.node.span }
    }

    /// Whether this is the node as written (not rebuilt by a merge).
    pub fn is_verbatim(&self) -> bool {
        matches!(self.shape, Shape::Node)
    }

    /// The YAML tag of a value as written (`!reference`, `!reset`, `!override`).
    pub fn tag(&self) -> Option<&'a str> {
        match self.shape {
            Shape::Node => self.node.tag.as_deref(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self.shape {
            Shape::Node => self.node.as_str(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.shape {
            Shape::Node => self.node.as_bool(),
            _ => None,
        }
    }

    /// A scalar's text (strings, numbers, booleans).
    pub fn scalar_text(&self) -> Option<Cow<'a, str>> {
        match self.shape {
            Shape::Node => self.node.scalar_text(),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        match self.shape {
            Shape::Node => self.node.is_map(),
            Shape::Map(_) => true,
            Shape::Seq(_) => false,
        }
    }

    pub fn is_seq(&self) -> bool {
        match self.shape {
            Shape::Node => matches!(self.node.value, Value::Seq(_)),
            Shape::Map(_) => false,
            Shape::Seq(_) => true,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.shape, Shape::Node) && matches!(self.node.value, Value::Null)
    }

    /// The entries of a map (empty for anything else), in order.
    pub fn entries(&self) -> Vec<LEntry<'a>> {
        match &self.shape {
            Shape::Map(entries) => entries.clone(),
            Shape::Seq(_) => Vec::new(),
            Shape::Node => self
                .node
                .entries()
                .iter()
                .map(|e| LEntry {
                    key: &e.key.value,
                    key_loc: Loc { file: self.file, span: e.key.span },
                    value: Located::new(self.file, &e.value),
                })
                .collect(),
        }
    }

    /// The last entry with this key (the one that wins).
    pub fn entry(&self, key: &str) -> Option<LEntry<'a>> {
        match &self.shape {
            Shape::Map(entries) => entries.iter().rev().find(|e| e.key == key).cloned(),
            Shape::Seq(_) => None,
            Shape::Node => self.node.entry(key).map(|e| LEntry {
                key: &e.key.value,
                key_loc: Loc { file: self.file, span: e.key.span },
                value: Located::new(self.file, &e.value),
            }),
        }
    }

    /// The value of the last entry with this key.
    pub fn get(&self, key: &str) -> Option<Located<'a>> {
        self.entry(key).map(|e| e.value)
    }

    /// Follows a path of map keys.
    pub fn path(&self, keys: &[&str]) -> Option<Located<'a>> {
        let mut at = self.clone();
        for key in keys {
            at = at.get(key)?;
        }
        Some(at)
    }

    /// The items of a list (empty for anything else).
    pub fn items(&self) -> Vec<Located<'a>> {
        match &self.shape {
            Shape::Seq(items) => items.clone(),
            Shape::Map(_) => Vec::new(),
            Shape::Node => self.node.items().iter().map(|n| Located::new(self.file, n)).collect(),
        }
    }

    /// A string, or each string of a list of strings (`extends: .a` / `extends: [.a, .b]`).
    pub fn strings(&self) -> Vec<&'a str> {
        match self.as_str() {
            Some(one) => vec![one],
            None => self.items().iter().filter_map(Located::as_str).collect(),
        }
    }

    /// Whether any node of the subtree has this tag.
    pub fn contains_tag(&self, tag: &str) -> bool {
        match &self.shape {
            Shape::Node => node_has_tag(self.node, tag),
            Shape::Map(entries) => entries.iter().any(|e| e.value.contains_tag(tag)),
            Shape::Seq(items) => items.iter().any(|i| i.contains_tag(tag)),
        }
    }
}

/// Whether `node` or a descendant carries `tag`.
pub fn node_has_tag(node: &Node, tag: &str) -> bool {
    let mut found = false;
    node.walk(&mut |n| found |= n.tag.as_deref() == Some(tag));
    found
}

/// GitLab's deep merge (`extends:`, `include:`): maps merge key by key,
/// recursively; anything else (lists, scalars, a map over a list) is replaced
/// by the value that comes later. Keys keep the position of their first
/// appearance, as Ruby's `Hash#deep_merge` does.
pub fn deep_merge<'a>(base: &Located<'a>, over: &Located<'a>) -> Located<'a> {
    if !(base.is_map() && over.is_map()) {
        return over.clone();
    }
    let mut entries = base.entries();
    for o in over.entries() {
        match entries.iter().position(|e| e.key == o.key) {
            Some(i) => {
                let merged = deep_merge(&entries[i].value, &o.value);
                entries[i] = LEntry { key: o.key, key_loc: o.key_loc, value: merged };
            }
            None => entries.push(o),
        }
    }
    // A map written with duplicate keys: the last one wins, keep one.
    let mut seen: Vec<&str> = Vec::new();
    let mut unique: Vec<LEntry<'a>> = Vec::with_capacity(entries.len());
    for e in entries.into_iter().rev() {
        if !seen.contains(&e.key) {
            seen.push(e.key);
            unique.push(e);
        }
    }
    unique.reverse();
    Located::map(over.file, over.node, unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> crate::model::Document {
        crate::parse::yaml::parse(text).expect("yaml")
    }

    /// The tree as compact text with the file each scalar comes from: `{a: 1@0, b: [x@1]}`.
    pub fn show(l: &Located<'_>) -> String {
        if l.is_map() {
            let parts: Vec<String> = l.entries().iter().map(|e| format!("{}: {}", e.key, show(&e.value))).collect();
            format!("{{{}}}", parts.join(", "))
        } else if l.is_seq() {
            let parts: Vec<String> = l.items().iter().map(show).collect();
            format!("[{}]", parts.join(", "))
        } else {
            format!("{}@{}", l.scalar_text().unwrap_or(Cow::Borrowed("~")), l.file)
        }
    }

    #[test]
    fn deep_merge_maps_merge_lists_and_scalars_replace() {
        let first = doc("k:\n  vars: {A: 1, B: 2}\n  script: [one, two]\n  when: manual\n  env: {name: prod}\n");
        let second = doc("k:\n  vars: {B: 3, C: 4}\n  script: [three]\n  env: staging\n");
        let base = Located::new(0, first.root().and_then(|r| r.get("k")).expect("k"));
        let over = Located::new(1, second.root().and_then(|r| r.get("k")).expect("k"));
        let m = deep_merge(&base, &over);
        assert_eq!(show(&m), "{vars: {A: 1@0, B: 3@1, C: 4@1}, script: [three@1], when: manual@0, env: staging@1}");
        // several levels: the later wins at every level
        let third = doc("k:\n  vars: {A: 9}\n  when: on_success\n");
        let m = deep_merge(&m, &Located::new(2, third.root().and_then(|r| r.get("k")).expect("k")));
        assert_eq!(show(&m), "{vars: {A: 9@2, B: 3@1, C: 4@1}, script: [three@1], when: on_success@2, env: staging@1}");
        // a map over a scalar replaces it, and the other way round
        let fourth = doc("x: {name: production, url: u}\ny: plain\n");
        let root = fourth.root().expect("root");
        let x = Located::new(0, root.get("x").expect("x"));
        let y = Located::new(1, root.get("y").expect("y"));
        assert_eq!(show(&deep_merge(&y, &x)), "{name: production@0, url: u@0}");
        assert_eq!(show(&deep_merge(&x, &y)), "plain@1");
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let a = doc("k: {A: 1, A: 2}\n");
        let b = doc("k: {B: 3}\n");
        let m = deep_merge(
            &Located::new(0, a.root().and_then(|r| r.get("k")).expect("k")),
            &Located::new(1, b.root().and_then(|r| r.get("k")).expect("k")),
        );
        assert_eq!(show(&m), "{A: 2@0, B: 3@1}");
    }
}
