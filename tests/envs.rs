//! `envlint envs` over a project that exercises every inference source.

mod common;

use common::{copy_into, envlint, repo, tempdir, transcript};

/// The `envs` fixture project, copied into a repository of its own.
fn project() -> tempfile::TempDir {
    let dir = tempdir();
    copy_into(&repo().join("fixtures/projects/envs"), dir.path());
    dir
}

#[test]
fn envs_table_covers_every_inference_source() {
    let dir = project();
    let out = envlint().args(["envs", "--env", "forced/**=staging"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn envs_json_has_reasons_and_jobs() {
    let dir = project();
    let out = envlint()
        .args(["envs", "--format", "json", "--env", "forced/**=staging"])
        .arg(dir.path())
        .output()
        .expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |path: &str| rows.as_array().expect("rows").iter().find(|r| r["path"] == path).cloned().expect(path);
    let forced = row("forced/prod/app.env");
    assert_eq!(forced["env"], "staging");
    assert_eq!(forced["source"], "flag");
    assert_eq!(forced["reason"], "--env forced/**");
    let payments = row("infra/payments/main.tf");
    assert_eq!(payments["source"], "sibling-tfvars");
    assert_eq!(payments["files"], serde_json::json!(["prod.tfvars", "production.tfvars"]));
    let release = row(".github/workflows/release.yml");
    assert_eq!(release["env"], serde_json::Value::Null);
    let jobs: Vec<(String, serde_json::Value)> = release["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| (j["job"].as_str().unwrap_or_default().to_owned(), j["env"].clone()))
        .collect();
    assert_eq!(
        jobs,
        [
            ("build".to_owned(), serde_json::Value::Null),
            ("ship-staging".to_owned(), "staging".into()),
            ("ship-prod".to_owned(), "prod".into()),
            ("preview".to_owned(), serde_json::Value::Null),
        ]
    );
    assert!(rows.as_array().expect("rows").iter().all(|r| r["path"] != "vendor/lib/.env.production"), "envlintignore");
}

#[test]
fn scanning_a_subdirectory_keeps_the_repository_context() {
    // the path segment `prod/` is above the scan root, but inference uses repository-relative paths
    let dir = project();
    let out = envlint().arg("envs").arg(dir.path().join("environments/prod")).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("main.tf") && text.contains("prod  path segment `prod/`"), "{text}");
}

#[test]
fn tfvars_json_names_its_environment() {
    let dir = common::tempdir();
    std::fs::create_dir_all(dir.path().join("infra")).expect("mkdir");
    std::fs::write(dir.path().join("infra/main.tf"), "variable \"environment\" {}\n").expect("write");
    std::fs::write(dir.path().join("infra/terraform.tfvars.json"), "{\n  \"environment\": \"staging\"\n}\n")
        .expect("write");
    let out = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |path: &str| rows.as_array().expect("rows").iter().find(|r| r["path"] == path).cloned().expect(path);
    let tfvars = row("infra/terraform.tfvars.json");
    assert_eq!(tfvars["kind"], "tfvars");
    assert_eq!(tfvars["env"], "staging");
    assert_eq!(tfvars["reason"], "environment = \"staging\" (line 2)");
    let main = row("infra/main.tf");
    assert_eq!(main["env"], "staging", "the module takes it from the tfvars beside it");
    assert_eq!(main["source"], "sibling-tfvars");
}
