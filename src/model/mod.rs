//! The one span-carrying document tree every parser produces.
//!
//! Depends only on `span`. Maps are ordered `Vec`s so duplicate keys survive;
//! scalars keep their decoded value and their span (the literal text is
//! `source.slice(span)`); HCL expressions that are not plain data keep their
//! source text and a spanned expression tree ([`expr`]).

pub mod expr;
pub mod json;

use crate::span::{Span, Spanned};

/// A parsed file: usually one root, several for multi-document YAML.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub roots: Vec<Node>,
}

impl Document {
    pub fn single(root: Node) -> Self {
        Self { roots: vec![root] }
    }

    /// The first root, if any.
    pub fn root(&self) -> Option<&Node> {
        self.roots.first()
    }
}

/// One node of the tree: where it is, what it is, and its YAML tag if it had one.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The node as written (for quoted scalars, the quotes included; for dotenv
    /// values, the content inside the quotes).
    pub span: Span,
    pub value: Value,
    /// A YAML tag such as `!reference` or `!reset`, without resolution.
    pub tag: Option<Box<str>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number, kept as written so that nothing is lost to float conversion.
    Number(Box<str>),
    String(Box<str>),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
    /// An expression that is not plain data (HCL references, function calls,
    /// templates with interpolations, `for` expressions): its source text and
    /// its spanned tree ([`expr`]).
    Expr(Box<expr::Expression>),
}

/// A map entry. The key carries its own span.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Spanned<Box<str>>,
    pub value: Node,
}

impl Node {
    pub fn new(span: Span, value: Value) -> Self {
        Self { span, value, tag: None }
    }

    #[must_use]
    pub fn with_tag(mut self, tag: Option<Box<str>>) -> Self {
        self.tag = tag;
        self
    }

    /// Map entries, or an empty slice for non-maps.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// List items, or an empty slice for non-lists.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The last entry with this key (the one that wins, as in YAML, dotenv and HCL attributes).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The last entry with this key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().rev().find(|e| &*e.key.value == key)
    }

    /// Every entry with this key, in source order (HCL blocks repeat their type).
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.entries().iter().filter(move |e| &*e.key.value == key).map(|e| &e.value)
    }

    /// Follows a path of map keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The scalar's value as text: strings, numbers and booleans; `None` for
    /// null, collections and expressions.
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(std::borrow::Cow::Borrowed(s)),
            Value::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// The expression, if this node is one.
    pub fn as_expr(&self) -> Option<&expr::Expression> {
        match &self.value {
            Value::Expr(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// This node re-based for a tree parsed from a fragment of the file (JSON inside
    /// a heredoc, say): offset `skip` of the parsed text maps to offset `base` of the file.
    /// (Fragments are JSON or YAML: expression trees inside are not re-based.)
    #[must_use]
    pub fn rebased(mut self, skip: usize, base: usize) -> Node {
        self.rebase_in_place(skip, base);
        self
    }

    fn rebase_in_place(&mut self, skip: usize, base: usize) {
        let mv = |s: Span| {
            let f = |v: u32| (v as usize).saturating_sub(skip) + base;
            Span::new(f(s.start), f(s.end))
        };
        self.span = mv(self.span);
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.rebase_in_place(skip, base)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key.span = mv(e.key.span);
                e.value.rebase_in_place(skip, base);
            }),
            _ => {}
        }
    }

    /// Depth-first, pre-order walk over this node and all its descendants.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match &self.value {
            Value::Seq(items) => items.iter().for_each(|n| n.walk(f)),
            Value::Map(entries) => entries.iter().for_each(|e| e.value.walk(f)),
            _ => {}
        }
    }
}

/// Shorthand constructors, used by parsers and tests.
impl Entry {
    pub fn new(key_span: Span, key: impl Into<Box<str>>, value: Node) -> Self {
        Self { key: Spanned::new(key_span, key.into()), value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: usize, end: usize, v: &str) -> Node {
        Node::new(Span::new(start, end), Value::String(v.into()))
    }

    #[test]
    fn last_duplicate_wins_and_all_survive() {
        let map = Node::new(
            Span::new(0, 20),
            Value::Map(vec![
                Entry::new(Span::new(0, 1), "a", s(2, 3, "1")),
                Entry::new(Span::new(4, 5), "b", s(6, 7, "2")),
                Entry::new(Span::new(8, 9), "a", s(10, 11, "3")),
            ]),
        );
        assert_eq!(map.get("a").and_then(Node::as_str), Some("3"));
        assert_eq!(map.get_all("a").count(), 2);
        assert_eq!(map.entry("a").map(|e| e.key.span), Some(Span::new(8, 9)));
        assert!(map.get("zz").is_none());
        let mut n = 0;
        map.walk(&mut |_| n += 1);
        assert_eq!(n, 4);
    }

    #[test]
    fn path_follows_keys() {
        let inner = Node::new(Span::new(5, 9), Value::Map(vec![Entry::new(Span::new(5, 6), "y", s(8, 9, "v"))]));
        let root = Node::new(Span::new(0, 9), Value::Map(vec![Entry::new(Span::new(0, 1), "x", inner)]));
        assert_eq!(root.path(&["x", "y"]).and_then(Node::as_str), Some("v"));
        assert!(root.path(&["x", "z"]).is_none());
    }
}
