//! The repository model (issue "Repository model"): one context however envlint
//! is invoked, git facts, inline suppressions and the baseline — through the
//! real binary.

mod common;

use std::path::Path;

use common::{copy_into, envlint, git, repo, tempdir, transcript, write};
use serde_json::Value;

/// `scan --format json` from `cwd` with `args`; the parsed report.
fn scan(cwd: &Path, args: &[&str]) -> Value {
    let out = envlint()
        .current_dir(cwd)
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", transcript(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", transcript(&out)))
}

fn findings(v: &Value) -> Vec<Value> {
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn rules_of(v: &Value) -> Vec<String> {
    findings(v).iter().filter_map(|f| f["rule"].as_str().map(str::to_owned)).collect()
}

/// For every fixture project: `scan F` reports exactly what `scan .` reports
/// for F, and `scan SUBDIR` exactly what `scan .` reports under SUBDIR.
#[test]
fn named_paths_only_filter_what_is_reported() {
    for project in ["fixtures/demo", "fixtures/projects/envs"] {
        let dir = tempdir();
        copy_into(&repo().join(project), dir.path());
        let all = findings(&scan(dir.path(), &["."]));
        assert!(!all.is_empty(), "{project} has findings");
        let mut files: Vec<String> = all.iter().filter_map(|f| f["path"].as_str().map(str::to_owned)).collect();
        files.dedup();
        for file in &files {
            let only = findings(&scan(dir.path(), &[file]));
            let expected: Vec<&Value> = all.iter().filter(|f| f["path"] == file.as_str()).collect();
            assert_eq!(only.iter().collect::<Vec<_>>(), expected, "{project}: scan {file}");
        }
        let mut dirs: Vec<String> =
            files.iter().filter_map(|f| f.rsplit_once('/').map(|(d, _)| d.to_owned())).collect();
        dirs.sort();
        dirs.dedup();
        for sub in &dirs {
            let only = findings(&scan(dir.path(), &[sub]));
            let expected: Vec<&Value> =
                all.iter().filter(|f| f["path"].as_str().is_some_and(|p| p.starts_with(&format!("{sub}/")))).collect();
            assert_eq!(only.iter().collect::<Vec<_>>(), expected, "{project}: scan {sub}");
            // from inside the subfolder too: paths stay relative to the repository root
            let inside = findings(&scan(&dir.path().join(sub), &["."]));
            assert_eq!(inside, only, "{project}: scan . from {sub}");
        }
    }
}

/// A Terraform file named alone gets the environment of the tfvars beside it,
/// as the whole scan does (pre-commit and CI agree).
#[test]
fn a_single_terraform_file_keeps_its_module_context() {
    let dir = tempdir();
    write(dir.path(), "infra/payments/main.tf", "variable \"environment\" {}\n");
    write(dir.path(), "infra/payments/prod.tfvars", "environment = \"prod\"\n");
    let out = envlint()
        .current_dir(dir.path())
        .args(["envs", "--format", "json", "infra/payments/main.tf"])
        .output()
        .expect("run");
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows[0]["path"], "infra/payments/main.tf");
    assert_eq!(rows[0]["env"], "prod", "{rows}");
}

/// A GitLab job that extends a template gets the template's variables judged
/// with its own environment: the finding points at the template's value, with
/// the job as related location, in every format that can show it.
#[test]
fn inherited_ci_variables_are_judged_per_job() {
    let dir = tempdir();
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "include: ci/templates.yml\n\ndeploy-prod:\n  extends: .deploy\n  environment: production\n  script: ./deploy.sh\n\ndeploy-dev:\n  extends: .deploy\n  environment: development\n  script: ./deploy.sh\n",
    );
    write(dir.path(), "ci/templates.yml", ".deploy:\n  image: alpine\n  variables:\n    DEBUG: \"true\"\n");
    let v = scan(dir.path(), &["--select", "prod-debug-enabled"]);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["path"], "ci/templates.yml");
    assert_eq!(f[0]["env"], "prod");
    assert_eq!(f[0]["span"]["start"], serde_json::json!({"line": 4, "column": 13}));
    assert_eq!(f[0]["related"][0]["path"], ".gitlab-ci.yml");
    assert_eq!(f[0]["related"][0]["span"]["start"]["line"], 3);
    assert!(f[0]["related"][0]["message"].as_str().is_some_and(|m| m.contains("deploy-prod")), "{v:#}");
    let out = envlint()
        .args(["scan", "--format", "sarif", "--fail-on", "never", "--select", "prod-debug-enabled"])
        .arg(dir.path())
        .output()
        .expect("run");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], ".gitlab-ci.yml");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 3);
}

/// The git fixture project: a history, nested ignore files, dotenv families,
/// cross references, primary and replica hosts. Its full JSON findings are
/// snapshotted.
#[test]
fn git_project_findings() {
    let dir = tempdir();
    let d = dir.path();
    // a prod dotenv committed before the ignore rule existed
    write(d, "services/api/.env.prod", "DATABASE_URL=postgres://api@db-primary.internal:5432/api\nLOG_LEVEL=info\n");
    write(d, "services/api/.env.example", "DATABASE_URL=\nLOG_LEVEL=\nSAFE_MODE=\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "initial"]);
    write(d, ".gitignore", "node_modules/\n.env\n.env.*\n!.env.example\n");
    // a nested .gitignore that re-includes a template on purpose, and ignores one more file
    write(d, "services/worker/.gitignore", "!.env.sample\n");
    write(d, "services/worker/.env.sample", "QUEUE_URL=\nWORKER_CONCURRENCY=\n");
    // staging and prod, no template, committed on purpose (re-included by a
    // nested .gitignore): drift, a cross reference, a replica host
    write(d, "services/worker/config/.gitignore", "!.env.staging\n!.env.production\n");
    write(
        d,
        "services/worker/config/.env.staging",
        "QUEUE_URL=amqp://mq.staging.internal:5672\nDB_HOST=db.prod.internal\nWORKER_CONCURRENCY=2\n",
    );
    write(
        d,
        "services/worker/config/.env.production",
        "QUEUE_URL=amqp://mq.prod.internal:5672\nDB_HOST=db-replica.prod.internal\n",
    );
    // a dotenv file git does not ignore: the nested folder has its own rules
    write(d, "tools/seed/local.env", "SEED_USER=admin\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "ignore dotenv files"]);
    let v = scan(d, &["."]);
    let mut v = v;
    v["tool"]["version"] = Value::String("[version]".into());
    insta::assert_json_snapshot!(v);
}

/// Inline suppressions: on the line or the line above, for the whole file;
/// warnings for a missing reason and an unknown rule; parse errors cannot be
/// suppressed; SARIF shows suppressed findings as dismissed, JSON leaves them out.
#[test]
fn inline_suppressions() {
    let dir = tempdir();
    write(
        dir.path(),
        "app/.env.production",
        "DEBUG=true # envlint: ignore[prod-debug-enabled] read-only mirror of prod, INC-2291\n\
         # envlint: ignore[prod-verbose-logging]\n\
         LOG_LEVEL=debug\n\
         # envlint: ignore[no-such-rule] typo\n\
         APP_ENV=development\n",
    );
    write(dir.path(), "ops/.env.production", "# envlint: ignore-file[prod-*] generated by the mirror job\nDEBUG=1\n");
    write(dir.path(), "broken/.env", "# envlint: ignore[parse-error] cannot\nA=\"unclosed\n");
    let out = envlint()
        .args(["scan", "--format", "json", "--select", "prod-*,parse-error"])
        .arg(dir.path())
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let shown: Vec<(String, String)> = findings(&v)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("").to_owned(), f["path"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        shown,
        [
            ("prod-debug-enabled".to_owned(), "app/.env.production".to_owned()),
            ("parse-error".to_owned(), "broken/.env".to_owned())
        ],
        "{v:#}"
    );
    assert_eq!(v["summary"]["suppressed"], 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("app/.env.production:2: `envlint: ignore` without a reason"), "{err}");
    assert!(err.contains("names an unknown rule `no-such-rule`"), "{err}");
    assert!(err.contains("3 suppressed inline"), "{err}");

    let out = envlint()
        .args(["scan", "--format", "sarif", "--fail-on", "never", "--select", "prod-*,parse-error"])
        .arg(dir.path())
        .output()
        .expect("run");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let dismissed: Vec<&Value> = results.iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(dismissed.len(), 3);
    assert_eq!(dismissed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(dismissed[0]["suppressions"][0]["justification"], "read-only mirror of prod, INC-2291");

    // unused-suppression, off by default, finds the stale one
    std::fs::write(dir.path().join("app/.env.production"), "# envlint: ignore[prod-debug-enabled] old\nDEBUG=false\n")
        .expect("write");
    let v = scan(dir.path(), &["--select", "prod-*,unused-suppression"]);
    assert_eq!(rules_of(&v), ["unused-suppression"], "{v:#}");
}

/// The baseline hides recorded findings; lines moving and scanning from a
/// subfolder keep them hidden; a new finding shows.
#[test]
fn baseline_hides_recorded_findings() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "app/.env.production", "DEBUG=true\nLOG_LEVEL=debug\n");
    let baseline = d.join(".envlint-baseline.json");
    let out =
        envlint().current_dir(d).args(["baseline", "--select", "prod-*", "-o"]).arg(&baseline).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = std::fs::read_to_string(&baseline).expect("baseline");
    assert!(text.contains("\"fingerprint\"") && !text.contains("DEBUG"), "no message or value in it: {text}");

    let clean = scan(d, &["--select", "prod-*", "--baseline", ".envlint-baseline.json"]);
    assert!(findings(&clean).is_empty(), "{clean:#}");
    assert_eq!(clean["summary"]["baselined"], 2);

    // lines inserted above, and a scan from a subfolder: still hidden
    write(d, "app/.env.production", "# moved\nAPP=1\n\nDEBUG=true\nLOG_LEVEL=debug\n");
    let moved = scan(&d.join("app"), &["--select", "prod-*", "--baseline", "../.envlint-baseline.json"]);
    assert!(findings(&moved).is_empty(), "{moved:#}");

    // a new finding shows
    write(d, "app/.env.production", "DEBUG=true\nLOG_LEVEL=debug\nUSE_MOCKS=true\n");
    let new = scan(d, &["--select", "prod-*", "--baseline", ".envlint-baseline.json"]);
    assert_eq!(rules_of(&new), ["prod-mocks-enabled"], "{new:#}");
    let out = envlint().current_dir(d).args(["scan", "--baseline", "missing.json"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Without a git repository, the git rules say once that they could not check.
#[test]
fn git_rules_say_when_they_cannot_check() {
    let dir = common::plain_tempdir();
    write(dir.path(), ".env.production", "A=1\n");
    let out = envlint().args(["scan", "--fail-on", "never"]).arg(dir.path()).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("dotenv-not-ignored: ").count(), 1, "{err}");
    assert_eq!(err.matches("dotenv-tracked: could not check").count(), 1, "{err}");
}
