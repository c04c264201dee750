//! A resource's effective tags: its provider's default tags merged under its
//! own `tags` (Google: `default_labels` under `labels`), evaluated for one variant.

use std::collections::BTreeMap;

use crate::model::expr::ExprKind;
use crate::rule::Loc;
use crate::span::Span;

use super::module::{RootEval, TfResource};
use super::taggable;
use super::value::{Kind, Val};

/// What a taggable resource ends up with.
pub struct Effective {
    /// Every tag, the resource's own over its provider's defaults.
    pub tags: BTreeMap<String, Val>,
    /// The keys of `tags` as [`norm`] has them, in the same order.
    pub norm_keys: Vec<String>,
    /// The resource's own tag attribute (its key), if it sets one.
    pub attr: Option<Span>,
    /// The provider's default tags, if they gave any.
    pub defaults: Option<Loc>,
}

/// A tag key compared as RULES.md says: case-insensitive, `-` and `_` ignored.
pub fn norm(key: &str) -> String {
    if key.is_ascii() {
        // the usual case, without a char iterator per key or a reallocation
        let mut out = String::with_capacity(key.len());
        for b in key.bytes().filter(|b| *b != b'-' && *b != b'_') {
            out.push(char::from(b.to_ascii_lowercase()));
        }
        return out;
    }
    key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

/// The effective tags of a resource: `None` when it takes no tags, when any part
/// is unknown (a variable without a value, a module output, default tags from a
/// provider configured elsewhere), when it is in a shared module (its callers
/// decide), or when it makes no instance (`count = 0`). Rules read it through
/// [`RootEval::effective_tags`], which computes it once per variant.
pub fn effective(ev: &RootEval<'_>, r: &TfResource<'_>) -> Option<Effective> {
    let attr_name = taggable::tag_attribute(r.res.kind);
    let entry = r.res.body.entry(attr_name).or_else(|| r.res.body.entry("tags_all"));
    if entry.is_none() && !taggable::listed(r.res.kind) {
        return None;
    }
    if ev.shared || ev.no_instances(r) || ignores_tags(r) {
        return None;
    }
    let own = match entry {
        Some(e) => {
            let v = ev.eval(&e.value, r.file);
            match v.kind {
                Kind::Map(m) => m,
                Kind::Null => BTreeMap::new(),
                // unknown, or not a map (a list of `key:value` strings)
                _ => return None,
            }
        }
        None => BTreeMap::new(),
    };
    let defaults = ev.default_tags(r);
    let Kind::Map(default_map) = &defaults.kind else { return None };
    let mut tags = default_map.clone();
    let from_defaults = (!default_map.is_empty()).then_some(defaults.origin).flatten();
    tags.extend(own);
    let norm_keys = tags.keys().map(|k| norm(k)).collect();
    Some(Effective { tags, norm_keys, attr: entry.map(|e| e.key.span), defaults: from_defaults })
}

/// `lifecycle { ignore_changes = [tags] }` (or `tags_all`, `labels`, `all`):
/// the tags are managed outside Terraform (a tagging policy, an agent), so what
/// the code says is not what the resource has.
fn ignores_tags(r: &TfResource<'_>) -> bool {
    let Some(ignored) = r.res.body.get_all("lifecycle").find_map(|l| l.get("ignore_changes")) else { return false };
    let names: Vec<&str> = match ignored.as_expr().map(|e| &e.ast.kind) {
        // `all` (a bare name), or a list of bare names
        Some(ExprKind::Variable(name)) => vec![name],
        _ => ignored
            .items()
            .iter()
            .filter_map(|i| match i.as_expr().map(|e| &e.ast.kind) {
                Some(ExprKind::Variable(name)) => Some(&**name),
                _ => i.as_str(),
            })
            .collect(),
    };
    names.iter().any(|n| matches!(*n, "tags" | "tags_all" | "labels" | "all"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_loosely() {
        assert_eq!(norm("Owner-Team"), "ownerteam");
        assert_eq!(norm("owner_team"), "ownerteam");
        assert_eq!(norm("ENV"), "env");
        assert_eq!(norm("Ümlaut-Key"), "ümlautkey");
    }
}
