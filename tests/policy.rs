//! YAML policies through the real binary: `envlint policy test` exit codes and
//! output, user policies loaded from the config and with `--policy` producing
//! spanned findings, and malformed or clashing policies failing with exit 2.

mod common;

use common::{envlint, repo, tempdir, transcript, write};

const SAFE_MODE: &str = r#"id: staging-safe-mode
severity: error
summary: staging must run in safe mode
help: set SAFE_MODE=true in staging
environments: [staging]
match:
  key: SAFE_MODE
  value: {not: truthy}
message: '{key} is "{value}" in {env}'
tests:
  - name: safe mode off
    file: .env.staging
    content: "SAFE_MODE=false\n"
    expect: [{line: 1, column: 11, message: 'SAFE_MODE is "false" in staging'}]
"#;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn builtin_policy_tests_pass() {
    let out = envlint().args(["policy", "test"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = stdout(&out);
    for id in ["prod-debug-enabled", "prod-mocks-enabled", "prod-rate-limit-disabled", "prod-tls-disabled"] {
        assert!(text.contains(&format!("PASS {id}: ")), "{id}\n{text}");
    }
    assert!(text.lines().last().is_some_and(|l| l.ends_with(" passed, 0 failed")), "{text}");
}

#[test]
#[cfg(feature = "rego")] // the examples include a Rego policy
fn example_policies_pass() {
    let out = envlint().args(["policy", "test", "policies/examples"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let flag = envlint().args(["policy", "test", "--policy", "policies/examples"]).output().expect("run");
    assert_eq!(flag.stdout, out.stdout, "--policy PATH is the same as PATH");
    let text = stdout(&out);
    for id in ["staging-safe-mode", "feature-flags-defined", "s3-bucket-versioning"] {
        assert!(text.contains(&format!("PASS {id}: ")), "{id}\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");
}

#[test]
fn failing_case_exits_one_with_a_diff() {
    let dir = tempdir();
    let wrong =
        SAFE_MODE.replace("column: 11, message: 'SAFE_MODE is \"false\"", "column: 3, message: 'SAFE_MODE is \"off\"");
    write(dir.path(), "checks/safe.yaml", &wrong);
    let out = envlint().args(["policy", "test"]).arg(dir.path().join("checks")).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.contains("FAIL staging-safe-mode: safe mode off ("), "{text}");
    assert!(text.contains("  - 1:3 SAFE_MODE is \"off\" in staging   (expected, not reported)\n"), "{text}");
    assert!(text.contains("  + 1:11 SAFE_MODE is \"false\" in staging   (reported, not expected)\n"), "{text}");
    assert!(text.ends_with("policy tests: 0 passed, 1 failed\n"), "{text}");
}

#[test]
fn policy_from_config_gives_spanned_findings_and_its_id_is_known_to_the_config() {
    let dir = tempdir();
    write(dir.path(), "checks/safe.yaml", SAFE_MODE);
    write(
        dir.path(),
        "envlint.toml",
        "policies = [\"checks\"]\n[rules]\nselect = [\"staging-*\"]\n[rules.severity]\nstaging-safe-mode = \"warning\"\n",
    );
    write(dir.path(), "api/.env.staging", "PORT=80\nSAFE_MODE=off\n");
    write(dir.path(), "api/.env", "SAFE_MODE=off\n");
    let out = envlint().args(["scan", "--format", "json"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "staging-safe-mode");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["path"], "api/.env.staging");
    assert_eq!(f["env"], "staging");
    assert_eq!(f["message"], "SAFE_MODE is \"off\" in staging");
    assert_eq!(f["help"], "set SAFE_MODE=true in staging");
    assert_eq!(f["span"]["start"], serde_json::json!({"line": 2, "column": 11}));
    assert_eq!(f["span"]["end"], serde_json::json!({"line": 2, "column": 14}));
    assert_eq!(f["span"]["length"], 3);
}

#[test]
fn policy_flag_loads_files_and_folders() {
    let dir = tempdir();
    let policies = tempdir();
    write(policies.path(), "safe.yaml", SAFE_MODE);
    write(
        policies.path(),
        "nested/s3.yaml",
        std::fs::read_to_string(repo().join("policies/examples/s3-bucket-versioning.yaml")).expect("example"),
    );
    write(dir.path(), ".env.staging", "SAFE_MODE=0\n");
    common::keep_dotenv_files(dir.path(), &[".env.staging"]);
    write(dir.path(), "infra/main.tf", "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"x\"\n}\n");
    let out = envlint()
        .args(["scan", "--format", "json", "--policy"])
        .arg(policies.path())
        .arg("--policy")
        .arg(policies.path().join("nested/s3.yaml"))
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got: Vec<(String, String, u64, u64, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["span"]["start"]["line"].as_u64().unwrap_or_default(),
                f["span"]["start"]["column"].as_u64().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("staging-safe-mode".into(), ".env.staging".into(), 1, 11, "SAFE_MODE is \"0\" in staging".into()),
            (
                "s3-bucket-versioning".into(),
                "infra/main.tf".into(),
                1,
                26,
                "S3 bucket `logs` has no versioning ($['resource']['aws_s3_bucket']['logs'])".into()
            ),
        ]
    );
    // --select accepts a user policy ID
    let out = envlint()
        .args(["scan", "--format", "json", "--select", "staging-safe-mode", "--policy"])
        .arg(policies.path())
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
}

/// Runs `scan --policy` on an empty repo with one policy file; returns the transcript.
fn scan_with_policy(policy: &str) -> (Option<i32>, String) {
    let dir = tempdir();
    write(dir.path(), "p/policy.yaml", policy);
    write(dir.path(), "repo/.env", "A=1\n");
    common::keep_dotenv_files(dir.path(), &["repo/.env"]);
    let out = envlint().arg("scan").arg("--policy").arg(dir.path().join("p")).arg(dir.path().join("repo")).output();
    let out = out.expect("run");
    (out.status.code(), stderr(&out))
}

#[test]
fn malformed_policy_exits_two_pointing_at_the_span() {
    let (code, err) = scan_with_policy(&SAFE_MODE.replace("severity: error", "sevrity: error"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown field `sevrity` in a policy"), "{err}");
    assert!(err.contains("policy.yaml:2:1]"), "{err}");
    assert!(err.contains("2 │ sevrity: error"), "{err}");
    assert!(err.contains("unknown field"), "{err}");

    let (code, err) = scan_with_policy(&SAFE_MODE.replace("value: {not: truthy}", "value: {matches: '(unclosed'}"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("invalid regex"), "{err}");
    assert!(err.contains("policy.yaml:8:"), "{err}");

    let (code, err) = scan_with_policy(&SAFE_MODE.replace("environments: [staging]", "environments: [stagign]"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown environment `stagign`"), "{err}");
    assert!(err.contains("policy.yaml:5:16]"), "{err}");

    // a match's own `environments:` is checked the same way
    let narrowed = SAFE_MODE.replace("  value: {not: truthy}", "  value: {not: truthy}\n  environments: [prdo]");
    let (code, err) = scan_with_policy(&narrowed);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown environment `prdo`"), "{err}");
}

#[test]
fn pathological_selectors_and_key_globs_exit_cleanly() {
    let base = "id: p\nseverity: note\nsummary: s\nhelp: h\nmatch:\n  MATCH\nmessage: m\n";
    // 5000 nested parentheses overflowed the stack of the JSONPath parser
    let deep = format!("select: \"$[?{}@.a{}]\"\n  exists: x", "(".repeat(5000), ")".repeat(5000));
    let (code, err) = scan_with_policy(&base.replace("MATCH", &deep));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`select` nests brackets more than 64 deep"), "{err}");
    // a 1.2 KB key glob (compiled as a regex, not by globset) is fine
    let glob = format!("key: \"{}{}\"\n  value: truthy", "{a,".repeat(300), "*".repeat(300));
    let (code, err) = scan_with_policy(&base.replace("MATCH", &glob));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn id_collisions_exit_two() {
    let (code, err) = scan_with_policy(&SAFE_MODE.replace("id: staging-safe-mode", "id: prod-debug-enabled"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("policy ID `prod-debug-enabled` is already a built-in rule"), "{err}");
    assert!(err.contains("policy.yaml:1:5]"), "{err}");

    let dir = tempdir();
    write(dir.path(), "p/a.yaml", SAFE_MODE);
    write(dir.path(), "p/b.yaml", SAFE_MODE);
    let out = envlint().args(["policy", "test"]).arg(dir.path().join("p")).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(err.contains("duplicate policy ID `staging-safe-mode`"), "{err}");
    assert!(err.contains("b.yaml:1:5]"), "{err}");
    assert!(err.contains("a.yaml"), "first definition named in the help: {err}");
}

#[test]
fn explain_shows_builtin_policy_docs() {
    let out = envlint().args(["explain", "prod-mocks-enabled"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# prod-mocks-enabled\n"), "{text}");
    assert!(text.contains("## How to fix"), "{text}");
}

#[cfg(feature = "rego")]
#[test]
fn rego_policy_through_the_binary() {
    let dir = common::tempdir();
    let tf = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n";
    std::fs::create_dir_all(dir.path().join("envs/prod")).expect("mkdir");
    std::fs::write(dir.path().join("envs/prod/main.tf"), tf).expect("write");
    std::fs::create_dir_all(dir.path().join("envs/dev")).expect("mkdir");
    std::fs::write(dir.path().join("envs/dev/main.tf"), tf).expect("write");
    let policy = common::repo().join("policies/examples/prod-s3-versioning.rego");
    let out = envlint()
        .args(["scan", "--format", "json", "--select", "prod-s3-versioning", "--policy"])
        .arg(&policy)
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "prod only: {v}");
    assert_eq!(findings[0]["path"], "envs/prod/main.tf");
    assert_eq!(findings[0]["env"], "prod");
    assert_eq!(findings[0]["span"]["start"]["line"], 1);

    // a syntax error is exit 2 with the place in the .rego file
    let bad = dir.path().join("bad.rego");
    std::fs::write(
        &bad,
        "# METADATA\n# title: t\n# custom:\n#   id: bad-rego\npackage envlint.bad\n\ndeny contains msg if {\n  msg := \n}\n",
    )
    .expect("write");
    let out = envlint().args(["scan", "--policy"]).arg(&bad).arg(dir.path()).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.rego:"), "points into the file: {stderr}");
}

#[test]
fn rules_and_explain_include_the_configs_policies() {
    let dir = common::tempdir();
    std::fs::create_dir_all(dir.path().join("policies")).expect("mkdir");
    std::fs::copy(
        common::repo().join("policies/examples/staging-safe-mode.yaml"),
        dir.path().join("policies/staging-safe-mode.yaml"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("envlint.toml"), "policies = [\"policies\"]\n").expect("write");
    let out = envlint().current_dir(dir.path()).args(["rules"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("staging-safe-mode"), "{}", transcript(&out));
    let out = envlint().current_dir(dir.path()).args(["explain", "staging-safe-mode"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# staging-safe-mode"));
}

#[cfg(feature = "rego")]
#[test]
fn a_policy_failing_on_one_file_is_a_warning_and_the_scan_goes_on() {
    let dir = common::tempdir();
    // two complete definitions of `pick` with different values: an evaluation error
    let policy = "# METADATA\n# title: conflicts at runtime\n# custom:\n#   id: conflicting\npackage envlint.conflicting\n\npick := 1 if { input.kind == \"dotenv\" }\npick := 2 if { input.kind == \"dotenv\" }\n\ndeny contains \"never\" if { pick == 3 }\n";
    std::fs::write(dir.path().join("conflicting.rego"), policy).expect("write");
    std::fs::create_dir_all(dir.path().join("app")).expect("mkdir");
    std::fs::write(dir.path().join("app/.env"), "A=1\nA=2\n").expect("write");
    common::keep_dotenv_files(dir.path(), &["app/.env"]);
    let out = envlint()
        .args(["scan", "--format", "json", "--policy"])
        .arg(dir.path().join("conflicting.rego"))
        .arg(dir.path().join("app"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: policy conflicting"), "{stderr}");
    assert!(stderr.contains(".env"), "names the file: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["findings"][0]["rule"], "dotenv-duplicate-key", "the scan went on: {v}");
    assert_eq!(out.status.code(), Some(1));
}
