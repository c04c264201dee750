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
    let input =
        ScanInput { root: dir.path(), report: &report, tracked: &tracked, threads: 2, env_flags: &[], run_rules: true };
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
