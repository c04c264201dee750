//! Built-in rules written in code, and the one registry that lists every rule.

pub mod dotenv;
pub mod general;
pub mod secrets;

use crate::rule::Rule;

/// Every built-in rule, sorted by ID. Adding a rule means one line here
/// (the registry test checks order, uniqueness, docs and fixtures).
pub fn builtin() -> Vec<Box<dyn Rule>> {
    vec![Box::new(secrets::CommittedSecret), Box::new(dotenv::DuplicateKey), Box::new(general::ParseErrorRule)]
}

/// Whether `docs` has the four sections every rule documents.
pub fn docs_complete(docs: &str) -> bool {
    ["## What it does", "## Why is this bad?", "## Example", "## How to fix"].iter().all(|h| docs.contains(h))
}
