//! Consistency of the rule registry: IDs, docs, fixtures and snapshots.

mod common;

use std::collections::BTreeSet;

use envlint::rules::{builtin, docs_complete};

#[test]
fn ids_are_unique_sorted_kebab_case() {
    let ids: Vec<String> = builtin().iter().map(|r| r.meta().id.to_string()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "registry must list rules sorted by ID, without duplicates");
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !id.starts_with('-'),
            "{id} is not a kebab-case slug"
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in builtin() {
        let m = rule.meta();
        assert!(docs_complete(&m.docs), "{}: docs need What it does / Why is this bad? / Example / How to fix", m.id);
        assert!(!m.summary.is_empty() && !m.summary.ends_with('.'), "{}: summary", m.id);
        assert!(m.summary.chars().next().is_some_and(|c| !c.is_uppercase()), "{}: summary starts lowercase", m.id);
        assert!(!m.help.is_empty(), "{}: help", m.id);
    }
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    let root = common::repo().join("fixtures/rules");
    for rule in builtin() {
        let id = rule.meta().id.to_string();
        let names: Vec<String> = std::fs::read_dir(root.join(&id))
            .unwrap_or_else(|_| panic!("fixtures/rules/{id} is missing"))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("pass")), "{id}: no pass fixture");
        assert!(names.iter().any(|n| n.starts_with("fail")), "{id}: no fail fixture");
    }
}

#[test]
fn every_fixture_dir_is_a_rule_and_every_snapshot_has_its_fixture() {
    let ids: BTreeSet<String> = builtin().iter().map(|r| r.meta().id.to_string()).collect();
    let root = common::repo().join("fixtures/rules");
    for entry in std::fs::read_dir(&root).expect("fixtures/rules") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(ids.contains(&name), "fixtures/rules/{name} names no rule");
    }
    let snaps = common::repo().join("tests/snapshots/rules");
    for entry in std::fs::read_dir(&snaps).expect("snapshots") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else { continue };
        let (rule, fixture) = stem.split_once("__").expect("rule__fixture.snap");
        assert!(root.join(rule).join(fixture).exists(), "snapshot {name} has no fixture");
    }
}

#[test]
fn readme_rule_table_is_the_markdown_rule_table() {
    let out = common::envlint().args(["rules", "--format", "markdown"]).output().expect("run");
    assert!(out.status.success(), "{}", common::transcript(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README.md");
    assert!(
        readme.contains(table.trim_end()),
        "the README's rule table differs from `envlint rules --format markdown`:\n{table}"
    );
}
