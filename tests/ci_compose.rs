//! The `ci-compose` fixture project: GitLab CI and GitHub Actions as their
//! tools read them (includes, `extends:` chains, anchors, `!reference`,
//! reusable workflows, manual, rule-gated and tag-triggered prod jobs, review
//! apps) and compose base files merged with their per-environment overrides.
//! Its full JSON report is snapshotted.

mod common;

use common::{copy_into, envlint, repo, tempdir, transcript};

fn project() -> tempfile::TempDir {
    let dir = tempdir();
    copy_into(&repo().join("fixtures/projects/ci-compose"), dir.path());
    dir
}

fn scan(dir: &std::path::Path) -> serde_json::Value {
    let out = envlint().args(["scan", "--format", "json", "--fail-on", "never"]).arg(dir).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn ci_compose_findings() {
    let dir = project();
    let report = scan(dir.path());
    insta::assert_json_snapshot!(report["findings"]);
}

#[test]
fn every_new_rule_fires_and_near_misses_stay_silent() {
    let dir = project();
    let report = scan(dir.path());
    let findings = report["findings"].as_array().expect("findings");
    let at = |rule: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| format!("{}:{}", f["path"].as_str().unwrap_or(""), f["span"]["start"]["line"]))
            .collect()
    };
    assert_eq!(at("prod-deploy-ungated"), [".github/workflows/hotfix.yml:10", ".gitlab-ci.yml:47"]);
    assert_eq!(at("prod-deploy-unrestricted"), [".github/workflows/hotfix.yml:10", ".gitlab-ci.yml:54"]);
    assert_eq!(at("prod-source-mount"), ["services/api/docker-compose.yml:9"]);
    assert_eq!(at("prod-db-port-published"), ["services/api/docker-compose.yml:18"]);
    assert_eq!(at("prod-unpinned-image"), ["services/api/docker-compose.yml:22"]);
    // the template's value, reported once for every prod job that inherits it
    let debug: Vec<&serde_json::Value> = findings.iter().filter(|f| f["rule"] == "prod-debug-enabled").collect();
    assert_eq!(debug.len(), 1);
    assert_eq!(debug[0]["path"], "ci/templates.yml");
    let jobs: Vec<&str> =
        debug[0]["related"].as_array().expect("related").iter().filter_map(|r| r["message"].as_str()).collect();
    assert_eq!(
        jobs,
        [
            "job `deploy-prod` (env: prod) has this setting",
            "job `deploy-prod-tags` (env: prod) has this setting",
            "job `hotfix-prod` (env: prod) has this setting",
        ]
    );
    // nothing in the clean service, the staging override, review apps or the dev override
    assert!(findings.iter().all(|f| !f["path"].as_str().unwrap_or("").starts_with("services/web/")));
    let ours = [
        "prod-deploy-ungated",
        "prod-deploy-unrestricted",
        "prod-source-mount",
        "prod-db-port-published",
        "prod-unpinned-image",
    ];
    assert!(
        findings.iter().filter(|f| ours.iter().any(|r| f["rule"] == *r)).all(|f| f["env"] == "prod"),
        "{findings:#?}"
    );
}

#[test]
fn jobs_have_the_environment_they_inherit() {
    let dir = project();
    let out = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let jobs = |path: &str| -> Vec<(String, serde_json::Value)> {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["path"] == path)
            .map(|r| {
                r["jobs"]
                    .as_array()
                    .map(|js| {
                        js.iter().map(|j| (j["job"].as_str().unwrap_or("").to_owned(), j["env"].clone())).collect()
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    let env = |s: &str| serde_json::Value::from(s);
    let none = serde_json::Value::Null;
    assert_eq!(
        jobs(".gitlab-ci.yml"),
        [
            ("build".to_owned(), none.clone()),
            ("test".to_owned(), none.clone()),
            ("deploy-staging".to_owned(), env("staging")),
            ("deploy-prod".to_owned(), env("prod")),
            ("deploy-prod-tags".to_owned(), env("prod")),
            ("hotfix-prod".to_owned(), env("prod")),
        ]
    );
    assert_eq!(jobs("ci/review.yml"), [("review".to_owned(), none.clone()), ("stop-review".to_owned(), none)]);
}
