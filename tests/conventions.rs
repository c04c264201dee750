//! The command-line conventions users of ruff, zizmor and gitleaks expect, through
//! the real binary: `-q`, `--statistics`, standard input, `--color` with `NO_COLOR`
//! and `FORCE_COLOR`, completions, `init`, `--output-format`, the `-o FORMAT`
//! footgun, the progress bar, `envs` filters, config errors reported together, and
//! the repository's own configuration.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{envlint, repo, tempdir, transcript, write};

const TOKEN: &str = "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";

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A prod dotenv file with an error and a warning, a dev file with none.
fn repo_with_findings() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "app/.env.production", "DEBUG=true\nA=1\nA=2\n");
    write(dir.path(), "app/.env", "B=1\n");
    common::keep_dotenv_files(dir.path(), &["app/.env.production", "app/.env"]);
    dir
}

#[test]
fn quiet_prints_the_findings_and_nothing_else() {
    let dir = repo_with_findings();
    // an unknown rule in a suppression is a warning on stderr normally
    // (built at run time, so that this file holds no suppression comment itself)
    write(dir.path(), "app/.env.staging", format!("# envlint: {}[no-such-rule] why\nC=1\n", "ignore"));
    common::keep_dotenv_files(dir.path(), &["app/.env.production", "app/.env", "app/.env.staging"]);
    let loud = envlint().args(["scan"]).arg(dir.path()).output().expect("run");
    assert!(stderr(&loud).contains("warning:"), "{}", transcript(&loud));
    assert!(stdout(&loud).contains("2 errors") || stdout(&loud).contains("1 error"), "{}", transcript(&loud));
    for flag in ["-q", "--quiet"] {
        let out = envlint().args(["scan", flag]).arg(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
        assert!(stdout(&out).contains("prod-debug-enabled"), "{}", transcript(&out));
        assert!(!stdout(&out).contains(" in 4 files"), "no summary line: {}", transcript(&out));
        assert_eq!(stderr(&out), "", "nothing on stderr");
    }
    // machine formats: the report only, no summary on stderr
    let out = envlint().args(["scan", "-q", "--format", "json"]).arg(dir.path()).output().expect("run");
    assert_eq!(stderr(&out), "");
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok());
    // a clean scan prints nothing at all
    let clean = tempdir();
    write(clean.path(), "README.md", "hello\n");
    let out = envlint().args(["scan", "-q"]).arg(clean.path()).output().expect("run");
    assert_eq!((out.status.code(), stdout(&out), stderr(&out)), (Some(0), String::new(), String::new()));
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = repo_with_findings();
    write(dir.path(), "app/.env.production", "DEBUG=true\nA=1\nA=2\nA=3\n");
    let out = envlint().args(["scan", "--statistics"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        stdout(&out),
        "2  dotenv-duplicate-key  warning\n1  prod-debug-enabled    error\n1 error, 2 warnings, 0 notes in 3 files\n"
    );
    let out = envlint().args(["scan", "--statistics", "--format", "json"]).arg(dir.path()).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        serde_json::json!([
            {"rule": "dotenv-duplicate-key", "severity": "warning", "count": 2},
            {"rule": "prod-debug-enabled", "severity": "error", "count": 1}
        ])
    );
    let out = envlint().args(["scan", "--statistics", "--format", "sarif"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains("--statistics does not apply to --format sarif"), "{}", transcript(&out));
}

fn scan_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    envlint().arg("scan").args(args).current_dir(dir).write_stdin(input.as_bytes().to_vec()).output().expect("run")
}

#[test]
fn stdin_is_judged_as_the_named_file_with_the_repository_as_context() {
    let dir = tempdir();
    // The Terraform root's environment comes from the tfvars beside it: context
    // that the text on stdin does not hold.
    write(dir.path(), "infra/payments/prod.tfvars", "region = \"eu-west-1\"\n");
    write(dir.path(), "infra/payments/main.tf", "# clean on disk\n");
    write(dir.path(), ".envlintignore", "vendor/\n");
    let tf = "resource \"aws_lambda_function\" \"api\" {\n  environment {\n    variables = {\n      DEBUG = \"true\"\n    }\n  }\n}\n";
    let out = scan_stdin(
        dir.path(),
        &["-", "--stdin-filename", "infra/payments/main.tf", "--format", "json", "--select", "prod-debug-enabled"],
        tf,
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["path"], "infra/payments/main.tf");
    assert_eq!(f["env"], "prod", "from the sibling tfvars on disk");
    assert_eq!(f["span"]["start"], serde_json::json!({"line": 4, "column": 16}));
    assert_eq!(v["summary"]["files"], 1, "only the named file is reported");

    // a file that does not exist yet, from a subfolder: paths stay repository-relative
    let out = scan_stdin(
        &dir.path().join("infra"),
        &["-", "--stdin-filename", "../infra/./new/.env.production", "--format", "json", "--fail-on", "never"],
        &format!("GITHUB_TOKEN={TOKEN}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or(""), f["path"].as_str().unwrap_or("")))
        .collect();
    assert!(rules.contains(&("committed-secret", "infra/new/.env.production")), "{v:#}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN), "the secret is masked");

    // .envlintignore applies as to any named file
    let out = scan_stdin(dir.path(), &["-", "--stdin-filename", "vendor/.env.production"], "DEBUG=true\n");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));

    // usage errors
    for (args, message) in [
        (&["-"][..], "reading standard input needs --stdin-filename PATH"),
        (&["--stdin-filename", "a/.env", "."][..], "--stdin-filename is only used when reading standard input"),
        (&["-", ".", "--stdin-filename", "a/.env"][..], "cannot be combined with other paths"),
        (&["-", "--stdin-filename", "../outside/.env"][..], "its folder does not exist"),
    ] {
        let out = scan_stdin(dir.path(), args, "A=1\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", transcript(&out));
    }
}

const ESC: &str = "\u{1b}[";

/// (arguments, `NO_COLOR`, `FORCE_COLOR`, colour expected)
type ColorCase<'a> = (&'a [&'a str], Option<&'a str>, Option<&'a str>, bool);

#[test]
fn color_follows_the_flag_then_no_color_then_force_color_then_the_terminal() {
    let dir = repo_with_findings();
    // (args, NO_COLOR, FORCE_COLOR, colour expected) — stdout is a pipe here
    let cases: &[ColorCase] = &[
        (&[], None, None, false),
        (&["--color", "always"], None, None, true),
        (&["--color", "always"], Some("1"), None, true),
        (&["--color", "never"], None, Some("1"), false),
        (&["--color", "auto"], None, Some("1"), true),
        (&[], None, Some("1"), true),
        (&[], Some("1"), Some("1"), false),
        (&[], Some(""), Some("1"), true),
        (&[], None, Some("0"), false),
        (&[], None, Some(""), false),
    ];
    for &(args, no_color, force, want) in cases {
        let mut cmd = envlint();
        cmd.env_remove("NO_COLOR").env_remove("FORCE_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        if let Some(v) = force {
            cmd.env("FORCE_COLOR", v);
        }
        let out = cmd.args(args).arg("scan").arg(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
        assert_eq!(stdout(&out).contains(ESC), want, "{args:?} NO_COLOR={no_color:?} FORCE_COLOR={force:?}");
    }
    // errors (exit 2) on stderr follow the same decision
    let bad = envlint().args(["--color", "always", "scan", "--select", "nope"]).arg(dir.path()).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains(ESC), "{}", transcript(&bad));
    let bad = envlint().args(["scan", "--select", "nope"]).arg(dir.path()).output().expect("run");
    assert!(!stderr(&bad).contains(ESC), "{}", transcript(&bad));
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_envlint()"),
        ("zsh", "#compdef envlint"),
        ("fish", "complete -c envlint"),
        ("elvish", "envlint"),
        ("powershell", "envlint"),
    ] {
        let out = envlint().args(["completions", shell]).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", transcript(&out));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}");
        for word in ["scan", "stdin-filename", "statistics", "init"] {
            assert!(text.contains(word), "{shell} completes {word}");
        }
    }
    let out = envlint().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_writes_a_config_for_the_layout_and_never_overwrites() {
    let dir = tempdir();
    write(dir.path(), "deploy/environments/prod/main.tf", "locals {}\n");
    write(dir.path(), "deploy/environments/staging/main.tf", "locals {}\n");
    write(dir.path(), "deploy/environments/staging/.env.dev", "A=1\n");
    write(dir.path(), "services/api/.env.production", "A=1\n");
    let out = envlint().arg("init").current_dir(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stderr(&out).contains("environment folders: prod, staging"), "{}", transcript(&out));
    let path = dir.path().join("envlint.toml");
    let text = std::fs::read_to_string(&path).expect("written");
    assert!(text.contains("\nprod = [\"deploy/environments/prod/**\"]\n"), "{text}");
    // staging's folder holds a file of another environment: left commented
    assert!(text.contains("\n# staging = [\"deploy/environments/staging/**\"]\n"), "{text}");
    assert!(text.contains("# [rules.prod-db-not-replica]\n"), "{text}");
    assert!(text.contains("# [rules.required-env-keys]\n# keys = [\"SAFE_MODE\", \"AUTOMATION_ENABLED\"]\n"), "{text}");
    // the written config is valid: the scan runs with it (no exit 2)
    let scan = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert!(matches!(scan.status.code(), Some(0 | 1)), "{}", transcript(&scan));
    let envs = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let rows: serde_json::Value = serde_json::from_slice(&envs.stdout).expect("json");
    let prod = rows.as_array().expect("rows").iter().find(|r| r["path"] == "deploy/environments/prod/main.tf");
    assert_eq!(prod.map(|r| r["env"].clone()), Some("prod".into()));

    // never overwritten: exit 2, the file untouched
    std::fs::write(&path, "# mine\n").expect("write");
    let again = envlint().arg("init").current_dir(dir.path()).output().expect("run");
    assert_eq!(again.status.code(), Some(2), "{}", transcript(&again));
    assert!(stderr(&again).contains("already exists; nothing was written"), "{}", transcript(&again));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "# mine\n");
    // a `.envlint.toml` counts too; `init DIR` writes into DIR
    std::fs::remove_file(&path).expect("rm");
    write(dir.path(), ".envlint.toml", "");
    let again = envlint().arg("init").arg(dir.path()).output().expect("run");
    assert_eq!(again.status.code(), Some(2), "{}", transcript(&again));
    assert!(!path.exists());
    let sub = dir.path().join("deploy");
    let out = envlint().arg("init").arg(&sub).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = std::fs::read_to_string(sub.join("envlint.toml")).expect("written");
    assert!(text.contains("\nprod = [\"environments/prod/**\"]\n"), "relative to the config's folder: {text}");
}

#[test]
fn output_format_is_an_alias_of_format() {
    let dir = repo_with_findings();
    let a = envlint().args(["scan", "--format", "json"]).arg(dir.path()).output().expect("run");
    let b = envlint().args(["scan", "--output-format", "json"]).arg(dir.path()).output().expect("run");
    assert_eq!(a.stdout, b.stdout);
    for cmd in [&["envs", "--output-format", "json"][..], &["rules", "--output-format", "json"][..]] {
        let out = envlint().args(cmd).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok(), "{cmd:?}");
    }
}

#[test]
fn output_does_not_swallow_a_format_name() {
    let dir = repo_with_findings();
    let work = tempfile::tempdir().expect("tempdir");
    for flag in ["-o", "--output"] {
        let out =
            envlint().args(["scan", flag, "json"]).arg(dir.path()).current_dir(work.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        let err = stderr(&out);
        assert!(err.contains("`--output json` would write the human report into a file named `json`"), "{err}");
        assert!(err.contains("--format json"), "{err}");
        assert!(!work.path().join("json").exists(), "nothing written");
    }
    // an explicit path is a file like any other
    let out =
        envlint().args(["scan", "--format", "json", "-o", "./json"]).arg(dir.path()).current_dir(work.path()).output();
    let out = out.expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let written = std::fs::read(work.path().join("json")).expect("written");
    assert!(serde_json::from_slice::<serde_json::Value>(&written).is_ok());
    let out = envlint().args(["scan", "-o", "report.sarif"]).arg(dir.path()).current_dir(work.path()).output();
    assert_eq!(out.expect("run").status.code(), Some(1));
}

#[test]
fn github_summary_is_printed_once() {
    let dir = repo_with_findings();
    let out = envlint().args(["scan", "--format", "github"]).arg(dir.path()).output().expect("run");
    let summary = "1 error, 1 warning, 0 notes in 3 files";
    assert_eq!(stdout(&out).matches(summary).count(), 1, "{}", transcript(&out));
    assert!(!stderr(&out).contains(summary), "stdout and stderr share the Actions log: {}", transcript(&out));
    // written to a file, the summary also goes to stderr (the file is not in the log)
    let file = tempfile::NamedTempFile::new().expect("tmp");
    let out = envlint().args(["scan", "--format", "github", "-o"]).arg(file.path()).arg(dir.path()).output();
    let out = out.expect("run");
    assert!(stderr(&out).contains(summary), "{}", transcript(&out));
}

/// Runs the binary under a pseudo-terminal (util-linux `script`), stdout and
/// stderr merged.
fn on_a_terminal(args: &[&str], dir: &Path) -> String {
    let bin = assert_cmd::cargo::cargo_bin("envlint");
    let bin = bin.display().to_string();
    let dir = dir.display().to_string();
    let words: Vec<String> = std::iter::once(bin.as_str())
        .chain(args.iter().copied())
        .chain(std::iter::once(dir.as_str()))
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    let out = std::process::Command::new("script")
        .args(["-qec", &words.join(" "), "/dev/null"])
        .env("NO_COLOR", "1")
        .env("ENVLINT_TEST_PROGRESS", "1")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_progress_bar_is_for_terminals_and_people_only() {
    let dir = repo_with_findings();
    let human = on_a_terminal(&["scan"], dir.path());
    assert!(human.contains("scanning"), "{human:?}");
    // drawn on one line with `\r`, then wiped before the report
    let bar_end = human.rfind("scanning").expect("bar");
    let report = human.find("prod-debug-enabled").expect("report");
    assert!(bar_end < report, "{human:?}");
    assert!(human[bar_end..report].contains("\r        "), "wiped: {human:?}");
    for args in [&["scan", "--format", "json"][..], &["scan", "-q"][..], &["scan", "--no-progress"][..]] {
        let text = on_a_terminal(args, dir.path());
        assert!(!text.contains("scanning"), "{args:?}: {text:?}");
    }
    // not a terminal: never
    let out = envlint().arg("scan").arg(dir.path()).env("ENVLINT_TEST_PROGRESS", "1").output().expect("run");
    assert!(!stderr(&out).contains("scanning") && !stdout(&out).contains("scanning"), "{}", transcript(&out));
}

#[test]
fn envs_filters_by_environment_and_kind() {
    let dir = tempdir();
    write(dir.path(), "app/.env.production", "A=1\n");
    write(dir.path(), "app/.env.staging", "A=1\n");
    write(dir.path(), "app/.env", "A=1\n");
    write(dir.path(), "environments/prod/main.tf", "locals {}\n");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "deploy-prod:\n  environment: production\n  script: ./deploy\ntest:\n  script: ./test\n",
    );
    let paths = |args: &[&str]| -> Vec<String> {
        let out = envlint().args(["envs", "--format", "json"]).args(args).arg(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", transcript(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v.as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let jobs: Vec<&str> = r["jobs"]
                    .as_array()
                    .map(|j| j.iter().filter_map(|j| j["job"].as_str()).collect())
                    .unwrap_or_default();
                if jobs.is_empty() {
                    r["path"].as_str().unwrap_or("").to_owned()
                } else {
                    format!("{} [{}]", r["path"].as_str().unwrap_or(""), jobs.join(","))
                }
            })
            .collect()
    };
    assert_eq!(
        paths(&["--env", "prod"]),
        [".gitlab-ci.yml [deploy-prod]", "app/.env.production", "environments/prod/main.tf"]
    );
    assert_eq!(paths(&["--env", "production", "--kind", "dotenv"]), ["app/.env.production"], "aliases resolve");
    assert_eq!(paths(&["--kind", "dotenv,terraform"]).len(), 4);
    assert_eq!(paths(&["--env", "prod", "--env", "staging", "--kind", "dotenv"]).len(), 2);
    assert!(paths(&["--env", "-"]).contains(&".gitlab-ci.yml [test]".to_owned()));
    // forcing still works beside filtering
    assert_eq!(paths(&["--env", "app/.env=prod", "--env", "prod", "--kind", "dotenv"]).len(), 2);
    for (args, message) in
        [(&["--env", "prdo"][..], "did you mean `prod`?"), (&["--kind", "dotnev"][..], "did you mean `dotenv`?")]
    {
        let out = envlint().arg("envs").args(args).arg(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(message), "{}", transcript(&out));
    }
}

#[test]
fn config_errors_are_reported_together() {
    let dir = tempdir();
    write(
        dir.path(),
        "envlint.toml",
        "[rules]\nignore = [\"prod-debug-enabld\"]\nselct = [\"*\"]\n[secrets]\nalow = [\"x\"]\n",
    );
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    for want in [
        "unknown rule `prod-debug-enabld`",
        "did you mean `prod-debug-enabled`?",
        "unknown key or rule `selct` in [rules]",
        "did you mean `select`?",
        "unknown field `alow` in [secrets]",
        "did you mean `allow`?",
        "(2 more problems below)",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
}

/// `envlint scan .` on envlint's own repository is clean, while the README's
/// first command still reports the demo's findings: `fixtures/envlint.toml`
/// (the defaults) keeps the repository's `envlint.toml` from applying there.
#[test]
fn this_repository_is_clean_and_the_demo_is_not() {
    let out = envlint().args(["scan", "."]).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a finding in envlint's own repository: fix it, or exclude test data in envlint.toml with a reason\n{}",
        transcript(&out)
    );
    assert!(stdout(&out).starts_with("no findings in "), "{}", transcript(&out));
    assert_eq!(
        stderr(&out),
        "",
        "no warnings either (an example suppression in docs must name a real rule, or the file goes in .envlintignore)"
    );

    let demo = envlint().args(["scan", "--format", "json", "fixtures/demo"]).output().expect("run");
    assert_eq!(demo.status.code(), Some(1), "{}", transcript(&demo));
    let v: serde_json::Value = serde_json::from_slice(&demo.stdout).expect("json");
    let rules: std::collections::BTreeSet<&str> =
        v["findings"].as_array().expect("findings").iter().filter_map(|f| f["rule"].as_str()).collect();
    for rule in ["prod-debug-enabled", "cross-env-reference"] {
        assert!(rules.contains(rule), "{rule} in the demo: {rules:?}");
    }
    assert!(repo().join("fixtures/envlint.toml").is_file());
}
