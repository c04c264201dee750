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
fn envs_json_says_why_each_file_has_its_kind() {
    let dir = project();
    let out = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |path: &str| rows.as_array().expect("rows").iter().find(|r| r["path"] == path).cloned().expect(path);
    // (path, kind, kind_source, kind_reason)
    let cases = [
        (
            ".gitlab-ci.yml",
            "gitlab-ci",
            serde_json::json!({"by": "name", "pattern": ".gitlab-ci.yml"}),
            "name .gitlab-ci.yml",
        ),
        (
            "ci/Deploy-prod.gitlab-ci.yml",
            "gitlab-ci",
            serde_json::json!({"by": "name", "pattern": "*.gitlab-ci.yml"}),
            "name *.gitlab-ci.yml",
        ),
        (
            ".github/workflows/deploy.yml",
            "github-workflow",
            serde_json::json!({"by": "folder", "pattern": ".github/workflows/*.yml"}),
            "folder .github/workflows/*.yml",
        ),
        (
            "environments/prod/main.tf",
            "terraform",
            serde_json::json!({"by": "extension", "ext": ".tf"}),
            "extension .tf",
        ),
        (
            ".envs/.production/.django",
            "dotenv",
            serde_json::json!({"by": "config", "glob": ".envs/**/*"}),
            "config [files] glob .envs/**/*",
        ),
        ("scripts/migrate.sh", "other", serde_json::json!({"by": "default"}), "no naming rule"),
    ];
    for (path, kind, source, reason) in cases {
        let r = row(path);
        assert_eq!(
            (&r["kind"], &r["kind_source"], &r["kind_reason"]),
            (&kind.into(), &source, &reason.into()),
            "{path}"
        );
    }
    // a file the config makes dotenv still takes its environment from its path
    assert_eq!(row(".envs/.production/.django")["env"], "prod");
}

#[test]
fn envs_never_guess_prod_from_a_negated_or_qualified_name() {
    let dir = project();
    let out = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |path: &str| rows.as_array().expect("rows").iter().find(|r| r["path"] == path).cloned().expect(path);
    // (path, env, reason)
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("non-prod/account.hcl", None, "`non-prod/` names no environment: `non` negates `prod`"),
        ("non-prod/us-east-1/tools/region.hcl", None, "`non-prod/` names no environment: `non` negates `prod`"),
        ("non-prod/us-east-1/qa/env.hcl", Some("qa"), "path segment `qa/`"),
        ("nonprod-shared/.env", None, "`nonprod-shared/` names no environment: `nonprod` negates `prod`"),
        (
            "prod-like/terraform.tfvars",
            None,
            "`prod-like/` names no environment: `prod-like` is a likeness of `prod`, not `prod`",
        ),
        ("pre-prod/main.tf", Some("staging"), "path segment `pre-prod/`"),
        ("dev-tools/.env", None, "`dev-tools/` names no environment: `dev` qualifies `tools`"),
        ("local-cache/config.yml", None, "`local-cache/` names no environment: `local` qualifies `cache`"),
        ("sandbox/.env", Some("sandbox"), "path segment `sandbox/`"),
        (".env.test", Some("test"), "file name token `test`"),
        ("src/app_test.go", None, "`app_test.go` names no environment: `test` has other meanings"),
        ("docs/development/setup.md", None, "documentation is not for one environment"),
    ];
    for &(path, env, reason) in cases {
        let r = row(path);
        assert_eq!(r["env"].as_str(), env, "{path}");
        assert!(r["reason"].as_str().is_some_and(|s| s.starts_with(reason)), "{path}: {}", r["reason"]);
    }
    let jobs = |path: &str| -> Vec<(String, serde_json::Value)> {
        row(path)["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .map(|j| (j["job"].as_str().unwrap_or_default().to_owned(), j["env"].clone()))
            .collect()
    };
    // a job that calls a reusable workflow with `with: environment:`
    assert_eq!(
        jobs(".github/workflows/deploy.yml"),
        [("staging".to_owned(), "staging".into()), ("production".to_owned(), "prod".into())]
    );
    // a CI file named for an activity (`test`) gives its jobs no environment
    assert_eq!(jobs("ci/test.gitlab-ci.yml"), [("lint".to_owned(), serde_json::Value::Null)]);
}

#[test]
fn a_single_file_gets_the_same_answer_as_the_whole_scan() {
    // names above the scan path but below the repository root still count
    let dir = project();
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("non-prod/account.hcl", None, "`non-prod/` names no environment: `non` negates `prod`"),
        ("pre-prod/main.tf", Some("staging"), "path segment `pre-prod/`"),
        ("dev-tools/.env", None, "`dev-tools/` names no environment: `dev` qualifies `tools`"),
    ];
    for &(file, env, reason) in cases {
        let out = envlint().current_dir(dir.path()).args(["envs", "--format", "json", file]).output().expect("run");
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let row = &rows[0];
        assert_eq!(row["path"], file);
        assert_eq!((row["env"].as_str(), row["reason"].as_str()), (env, Some(reason)), "{file}");
    }
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
