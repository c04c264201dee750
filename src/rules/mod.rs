//! Built-in rules written in code, and the one registry that lists every rule.

pub mod ci;
pub mod compose;
pub mod dotenv;
pub mod env;
pub mod general;
pub mod git;
pub mod secrets;

use crate::policy::PolicyRule;
use crate::rule::Rule;

/// Every built-in rule, sorted by ID: the rules written in code, then the
/// built-in policies (`policies/*.yaml`, embedded), merged in ID order. Adding a
/// rule means one line here (the registry test checks order, uniqueness, docs
/// and fixtures); adding a built-in policy means one line in `policy::BUILTIN`.
pub fn builtin() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(secrets::CommittedSecret),
        Box::new(secrets::DefaultCredential),
        Box::new(dotenv::DuplicateKey),
        Box::new(general::ParseErrorRule),
        Box::new(general::UnusedSuppression),
        Box::new(ci::DeployUngated),
        Box::new(ci::DeployUnrestricted),
        Box::new(compose::DbPortPublished),
        Box::new(compose::SourceMount),
        Box::new(compose::UnpinnedImage),
        Box::new(git::DotenvNotIgnored),
        Box::new(git::DotenvTracked),
        Box::new(dotenv::EnvKeyDrift),
        Box::new(env::CrossEnvReference),
        Box::new(env::ProdDbNotReplica),
        Box::new(env::RequiredEnvKeys),
    ];
    rules.extend(crate::policy::builtin().into_iter().map(|p| Box::new(PolicyRule::new(p)) as Box<dyn Rule>));
    rules.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    rules
}

/// Whether `docs` has the four sections every rule documents.
pub fn docs_complete(docs: &str) -> bool {
    ["## What it does", "## Why is this bad?", "## Example", "## How to fix"].iter().all(|h| docs.contains(h))
}
