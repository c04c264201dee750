//! Rego policies through the library API: the example policies load and pass their
//! own tests, and a scan with a Rego policy reports exact spans per environment.
#![cfg(feature = "rego")]

use std::path::{Path, PathBuf};

use envlint::config::Settings;
use envlint::engine::{ReportSet, ScanInput, scan};
use envlint::policy::rego::{RegoPolicy, is_test_file, run_tests, test_path_for};
use envlint::repo::Tracked;
use envlint::rule::Rule;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("policies/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rego") && !is_test_file(p))
        .collect();
    paths.sort();
    paths
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("envlint-test-").tempdir().expect("tempdir")
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn example_policies_load_and_pass_their_tests() {
    let policies = examples();
    assert!(!policies.is_empty());
    for policy in policies {
        let loaded = RegoPolicy::load(&policy).unwrap_or_else(|e| panic!("{}: {e:?}", policy.display()));
        assert!(!loaded.meta().help.is_empty(), "{}: no help", policy.display());
        let tests = test_path_for(&policy);
        assert!(tests.exists(), "{} has no {}", policy.display(), tests.display());
        let results = run_tests(&policy, &tests).unwrap_or_else(|e| panic!("{}: {e:?}", tests.display()));
        assert!(results.len() >= 3, "{results:?}");
        let failed: Vec<_> = results.iter().filter(|r| !r.1).collect();
        assert!(failed.is_empty(), "{}: {failed:?}", tests.display());
    }
}

#[test]
fn scan_reports_rego_findings_only_in_prod_with_exact_spans() {
    let dir = tempdir();
    let tf = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n\nresource \"aws_s3_bucket_versioning\" \"logs\" {\n  bucket = aws_s3_bucket.logs.id\n  versioning_configuration {\n    status = \"Suspended\"\n  }\n}\n";
    write(dir.path(), "environments/prod/main.tf", tf);
    write(dir.path(), "environments/dev/main.tf", tf);
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples/prod-s3-versioning.rego");
    let rules: Vec<Box<dyn Rule>> = vec![Box::new(RegoPolicy::load(&policy).expect("policy"))];
    let settings = Settings::defaults(dir.path());
    let (report, tracked) = (ReportSet::everything(), Tracked::Unknown("test".into()));
    let input = ScanInput {
        root: dir.path(),
        report: &report,
        tracked: &tracked,
        threads: 2,
        env_flags: &[],
        run_rules: true,
        stdin: None,
        progress: None,
    };
    let out = scan(&input, &settings, &rules);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let got: Vec<(String, u32, u32, String)> =
        out.findings.iter().map(|f| (f.path.to_string(), f.start.line, f.start.column, f.message.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("environments/prod/main.tf".into(), 1, 1, "s3 bucket logs has no versioning in prod".into()),
            (
                "environments/prod/main.tf".into(),
                8,
                14,
                "versioning of aws_s3_bucket.logs.id is Suspended in prod".into()
            ),
        ]
    );
    assert!(out.findings.iter().all(|f| &*f.rule == "prod-s3-versioning" && f.env.as_deref() == Some("prod")));
    assert_eq!(out.findings[0].end.line, 1, "a missing attribute points at the block header only");
}

#[test]
fn failing_tests_and_broken_policies_are_reported() {
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "p.rego",
        "# METADATA\n# title: t\n# custom:\n#   id: debug-off\npackage p\n\nwarn contains \"debug is on\" if { input.document.DEBUG == \"true\" }\n",
    );
    let tests = write(
        dir.path(),
        "p_test.rego",
        "package p_test\n\nimport data.p\n\ntest_warns if { p.warn == {\"debug is on\"} with input as {\"document\": {\"DEBUG\": \"true\"}} }\n\ntest_wrong if { count(p.warn) == 1 with input as {\"document\": {}} }\n",
    );
    let results = run_tests(&policy, &tests).expect("runs");
    let summary: Vec<(&str, bool)> = results.iter().map(|(n, ok, _)| (n.as_str(), *ok)).collect();
    assert_eq!(summary, vec![("test_warns", true), ("test_wrong", false)]);

    let broken = write(
        dir.path(),
        "broken.rego",
        "# METADATA\n# title: t\n# custom:\n#   id: x\npackage p\n\ndeny contains msg if {\n",
    );
    let err = RegoPolicy::load(&broken).expect_err("syntax error");
    assert!(err.message.contains("broken.rego"), "{}", err.message);
    assert!(err.span.is_some());
    assert!(RegoPolicy::load(&dir.path().join("missing.rego")).is_err());
}

// --- limits, through the binary: nothing a policy author writes ends or hangs the process ---

#[path = "common/mod.rs"]
mod common;

/// Generous: catches a hang, never a slow machine.
const HANG: std::time::Duration = std::time::Duration::from_mins(2);

fn rego_policy(id: &str, body: &str) -> String {
    format!("# METADATA\n# title: {id}\n# custom:\n#   id: {id}\npackage envlint.{}\n\n{body}", id.replace('-', "_"))
}

/// A repository with a clean `.env` and a policy folder holding `policy` (and its tests).
fn repo_with(policy: &str, tests: Option<&str>) -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "repo/.env", "A=1\n");
    write(dir.path(), "p/p.rego", policy);
    if let Some(tests) = tests {
        write(dir.path(), "p/p_test.rego", tests);
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    common::envlint().current_dir(dir).args(args).timeout(HANG).output().expect("run")
}

#[test]
fn recursion_is_a_warning_in_scan_and_a_failed_test_in_policy_test() {
    // overflowed the stack: the process aborted in both commands
    let policy = rego_policy("recursive", "f(x) := y if { y := f(x + 1) }\n\ndeny contains \"r\" if { f(1) }\n");
    let tests = "package t\n\nimport data.envlint.recursive\n\ntest_denies if { count(recursive.deny) == 1 }\n";
    let dir = repo_with(&policy, Some(tests));
    let out = run(dir.path(), &["scan", "--policy", "p", "repo"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}", common::transcript(&out));
    assert!(
        stderr
            .contains("warning: policy recursive (p/p.rego) failed on .env: p/p.rego:7:21: function `f` calls itself"),
        "{stderr}"
    );
    let out = run(dir.path(), &["policy", "test", "p"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", common::transcript(&out));
    assert!(stdout.contains("FAIL recursive: test_denies"), "{stdout}");
    assert!(stdout.contains("function `f` calls itself"), "{stdout}");
}

#[test]
fn a_huge_allocation_is_a_warning_in_scan_and_a_failed_test_in_policy_test() {
    // numbers.range asked for 48 GB: the process aborted
    let policy = rego_policy("ranges", "deny contains \"r\" if { count(numbers.range(1, 2000000000)) > 0 }\n");
    let tests = "package t\n\nimport data.envlint.ranges\n\ntest_denies if { count(ranges.deny) == 1 }\n";
    let dir = repo_with(&policy, Some(tests));
    let out = run(dir.path(), &["scan", "--policy", "p", "repo"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}", common::transcript(&out));
    assert!(stderr.contains("warning: policy ranges (p/p.rego) failed on .env"), "{stderr}");
    assert!(
        stderr.contains("numbers.range: the result would have 2000000000 elements; the limit is 1000000"),
        "{stderr}"
    );
    let out = run(dir.path(), &["policy", "test", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::transcript(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL ranges: test_denies"));
}

#[test]
fn nested_brackets_are_a_policy_error_not_a_hang() {
    // 26 nested `[` in a 172-byte file: parsing took minutes, doubling per level
    let policy = format!(
        "# METADATA\n# title: t\n# custom:\n#   id: nested\npackage envlint.nested\n\nx := {}1{}\n\ndeny contains \"n\" if {{ x }}\n",
        "[".repeat(26),
        "]".repeat(26)
    );
    let dir = repo_with(&policy, None);
    for args in [&["scan", "--policy", "p", "repo"][..], &["policy", "test", "p"]] {
        let out = run(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", common::transcript(&out));
        assert!(stderr.contains("policy is too complex for the Rego"), "{stderr}");
        assert!(stderr.contains("p.rego:7:"), "points into the nested brackets: {stderr}");
    }
}

#[test]
fn the_step_budget_gives_the_same_output_at_every_thread_count() {
    // each file's work grows with its size; the biggest exceeds the budget. A clock
    // limit made this depend on the machine's load (0, 3, 1, 1, 1, 3 findings).
    let policy = rego_policy(
        "pairs",
        "deny contains sprintf(\"%d keys\", [n]) if {\n  keys := object.keys(input.document)\n  n := count([1 | some a in keys; some b in keys; some c in keys])\n  n > 0\n}\n",
    );
    let dir = tempdir();
    write(dir.path(), "p/p.rego", &policy);
    for (i, keys) in [3, 10, 40, 400].into_iter().enumerate() {
        let env: String = (0..keys).flat_map(|k| ["K".to_owned(), k.to_string(), "=1\n".to_owned()]).collect();
        write(dir.path(), &format!("repo/s{i}/.env"), &env);
    }
    let scan = |j: &str| {
        let out = run(dir.path(), &["scan", "--format", "json", "--select", "pairs", "-j", j, "--policy", "p", "repo"]);
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let one = scan("1");
    assert!(
        one.1.contains("failed on s3/.env") && one.1.contains("evaluation took more than 20000000 steps"),
        "{}",
        one.1
    );
    let v: serde_json::Value = serde_json::from_str(&one.0).expect("json");
    let messages: Vec<&str> =
        v["findings"].as_array().expect("findings").iter().filter_map(|f| f["message"].as_str()).collect();
    assert_eq!(messages, ["27 keys", "1000 keys", "64000 keys"]);
    assert_eq!(scan("4"), one);
}
