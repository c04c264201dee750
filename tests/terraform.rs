//! Terraform evaluation end to end: a repository with per-environment roots, a
//! shared module, a root shared through `env/<env>.tfvars` and a terragrunt live
//! tree (`fixtures/projects/terraform`). Every finding is snapshotted as JSON.

mod common;

use common::{copy_into, envlint, repo, tempdir, transcript};

fn project() -> tempfile::TempDir {
    let dir = tempdir();
    copy_into(&repo().join("fixtures/projects/terraform"), dir.path());
    dir
}

fn findings(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out =
        envlint().args(["scan", "--format", "json", "--fail-on", "never"]).args(extra).arg(dir).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    report["findings"].clone()
}

#[test]
fn terraform_project_findings() {
    let dir = project();
    insta::assert_json_snapshot!(findings(dir.path(), &[]));
}

#[test]
fn findings_carry_the_environment_they_were_evaluated_with() {
    let dir = project();
    let all = findings(dir.path(), &[]);
    let rows: Vec<(String, String, String)> = all
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["env"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let has = |rule: &str, path: &str, env: &str| rows.iter().any(|r| r.0 == rule && r.1 == path && r.2 == env);
    // a value in a tfvars file of a sub-folder, judged with that file's environment
    assert!(has("prod-debug-enabled", "services/api/env/prod.tfvars", "prod"), "{rows:?}");
    assert!(has("invalid-env-tag", "services/api/env/staging.tfvars", "staging"), "{rows:?}");
    // a terragrunt input, judged with the terragrunt file's environment
    assert!(has("prod-verbose-logging", "live/prod/app/terragrunt.hcl", "prod"), "{rows:?}");
    assert!(has("missing-required-tags", "modules/app/main.tf", "staging"), "{rows:?}");
    // a local of a prod root, pointing where it is written
    assert!(has("prod-verbose-logging", "environments/prod/locals.tf", "prod"), "{rows:?}");
    // the shared module is never judged on its own
    assert!(!rows.iter().any(|r| r.1.starts_with("modules/bucket/")), "{rows:?}");
}

#[test]
fn scanning_one_tfvars_file_reports_what_the_whole_scan_reports_for_it() {
    let dir = project();
    let whole = findings(dir.path(), &[]);
    let one = findings(&dir.path().join("services/api/env/prod.tfvars"), &[]);
    let of = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v.as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["path"] == "services/api/env/prod.tfvars")
            .cloned()
            .collect()
    };
    assert!(!of(&whole).is_empty());
    assert_eq!(of(&one), of(&whole));
}
