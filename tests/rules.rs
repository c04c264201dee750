//! Every rule's pass and fail fixtures, run through the real binary and
//! snapshotted exactly as users see them.
//!
//! `fixtures/rules/<rule-id>/pass*` and `fail*` are files or directories. Each one
//! is copied into a fresh directory and scanned as its own repository with only
//! that rule selected, so a fixture's environment comes from its own file names
//! (a directory named after a `prod-*` rule must not make everything prod).

mod common;

use std::path::Path;

use common::{copy_into, envlint, repo, tempdir};

fn fixture_entries(rule_dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut entries: Vec<_> = std::fs::read_dir(rule_dir)
        .expect("rule dir")
        .map(|e| e.expect("entry"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| name.starts_with("pass") || name.starts_with("fail"))
        .collect();
    entries.sort();
    entries
}

/// Scans one fixture with one rule; returns (JSON report, human output). A
/// fixture folder may hold `.envlint-test-select`: more rules to run beside it
/// (comma list), for rules about other rules' findings; and
/// `.envlint-test-tracked`: paths committed before the scan (for git rules).
fn scan_fixture(rule: &str, fixture: &Path) -> (serde_json::Value, String) {
    let dir = tempdir();
    copy_into(fixture, dir.path());
    let extra_file = dir.path().join(".envlint-test-select");
    let mut select = rule.to_owned();
    if let Ok(extra) = std::fs::read_to_string(&extra_file) {
        select = format!("{select},{}", extra.trim());
        std::fs::remove_file(&extra_file).expect("remove");
    }
    // `.envlint-test-tracked`: paths to commit first (git rules need a history).
    let tracked_file = dir.path().join(".envlint-test-tracked");
    if let Ok(list) = std::fs::read_to_string(&tracked_file) {
        std::fs::remove_file(&tracked_file).expect("remove");
        let paths: Vec<&str> = list.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut args = vec!["add", "-f", "--"];
        args.extend(paths);
        common::git(dir.path(), &args);
        common::git(dir.path(), &["commit", "-q", "-m", "fixture"]);
    }
    let json = envlint()
        .args(["scan", "--format", "json", "--fail-on", "never", "--select", &select])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let human =
        envlint().args(["scan", "--fail-on", "never", "--select", &select]).arg(dir.path()).output().expect("run");
    (report, String::from_utf8_lossy(&human.stdout).into_owned())
}

#[test]
fn rule_fixtures() {
    let root = repo().join("fixtures/rules");
    let mut rule_dirs: Vec<_> =
        std::fs::read_dir(&root).expect("fixtures/rules").map(|e| e.expect("entry").path()).collect();
    rule_dirs.sort();
    let mut failures = Vec::new();
    for rule_dir in rule_dirs {
        let rule = rule_dir.file_name().expect("name").to_string_lossy().into_owned();
        for (name, path) in fixture_entries(&rule_dir) {
            let (report, human) = scan_fixture(&rule, &path);
            let findings = report["findings"].as_array().expect("findings");
            let own = findings.iter().filter(|f| f["rule"] == rule.as_str()).count();
            if name.starts_with("pass") && own != 0 {
                failures.push(format!("{rule}/{name}: expected no finding, got {own}:\n{human}"));
            }
            if name.starts_with("fail") && own == 0 {
                failures.push(format!("{rule}/{name}: expected findings, got none"));
            }
            if name.starts_with("fail") {
                let snapshot = format!("{rule}__{name}");
                insta::with_settings!({ snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(snapshot, human);
                });
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
