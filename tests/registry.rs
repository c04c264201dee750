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

/// Every rule file under `src/rules/` declares an ID the registry lists, and every
/// built-in policy in `policies/` is registered: adding a rule never means a list
/// a test does not check.
#[test]
fn every_rule_file_and_policy_is_registered() {
    let ids: BTreeSet<String> = builtin().iter().map(|r| r.meta().id.to_string()).collect();
    let mut stack = vec![common::repo().join("src/rules")];
    let mut declared = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "mod.rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                if !text.contains("RuleMeta {") {
                    continue; // a helper shared by rules (judge.rs), not a rule
                }
                let id = text
                    .split("id: Cow::Borrowed(\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_else(|| panic!("{}: no `id: Cow::Borrowed(\"...\")`", path.display()));
                assert!(ids.contains(id), "{} declares `{id}`, which the registry does not list", path.display());
                declared.push(id.to_owned());
            }
        }
    }
    declared.sort();
    let before = declared.len();
    declared.dedup();
    assert_eq!(before, declared.len(), "two rule files declare the same ID");
    for entry in std::fs::read_dir(common::repo().join("policies")).expect("policies") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).expect("read");
            let id = text.lines().find_map(|l| l.strip_prefix("id: ")).expect("an id line").trim();
            assert!(ids.contains(id), "{} (`{id}`) is not registered in policy::BUILTIN", path.display());
        }
    }
}

/// The README's rule table is `envlint rules --format markdown`, exactly.
#[test]
fn readme_rule_table_is_generated() {
    // from a folder without a config: the built-in rules only
    let neutral = common::plain_tempdir();
    let out =
        common::envlint().current_dir(neutral.path()).args(["rules", "--format", "markdown"]).output().expect("run");
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).expect("utf-8");
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README");
    let start = readme.find("<!-- rules:start").expect("README has <!-- rules:start -->");
    let body = &readme[start..];
    let body = &body[body.find('\n').expect("line") + 1..];
    let end = body.find("<!-- rules:end -->").expect("README has <!-- rules:end -->");
    assert_eq!(
        &body[..end],
        table,
        "README rule table differs: paste `envlint rules --format markdown` between the markers"
    );
}
